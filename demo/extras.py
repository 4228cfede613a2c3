"""The rest of the demo: what people do in Continuum besides rating, for every part of the product.

`demo.seed.seed_demo` calls `seed_extras` after the Northbridge world exists. It adds the
learning catalogue and upcoming clinic visits (Ana's, Maya's), portfolios (evidence, reflections,
goals, shares), coaching (relationships, meetings, a comment thread), observation requests and
the IM residency's committee reviews.

Everything is written through the apps' own services, so the demo obeys the product's rules.
The one exception is time: services stamp rows with "now", and a demo needs a past. After a
service has made a row, `_backdate` moves its timestamps (and those of the notification it
sent) back, as if the service had run on that earlier day; the values are ones the service
would have accepted then.

Dates follow the real clock (`timezone.localdate()`), because the services check dates against
it: a due date cannot be in the past, a meeting must fall within a month ago and a year ahead.

Running it again creates nothing: each part looks for what it made before (per learner, per
relationship, per request token) and skips it. Only the upcoming clinic visits are uploaded again
each time, with the same FHIR ids, so they move along with today instead of going stale.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

import learning
from accounts.models import User
from assessments.models import (
    Assessment,
    AssessmentRequest,
    AssessmentResponse,
    AssessmentVersion,
    FeedbackRequest,
    FeedbackResponse,
    TeachingEvaluation,
)
from assessments.services.feedback import (
    feedback_request_create,
    feedback_respond,
    teacher_evaluation_create,
)
from assessments.services.observations import (
    RatingInput,
    assessment_respond,
    observation_request_complete,
    observation_request_create,
    observation_request_decline,
    observation_requests_remind,
)
from caselog.models import CaseLogEntry, Procedure
from caselog.services import caselog_entry_record, caselog_entry_verify, procedure_save
from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting, Thread
from coaching.selectors import target_visible_to
from coaching.services import (
    action_item_confirm,
    action_item_propose,
    comment_post,
    meeting_notes_update,
    meeting_schedule,
    relationship_accept,
    relationship_assign,
    relationship_invite,
)
from committee.models import ConsensusRating, LearnerReview
from committee.services import (
    consensus_record,
    learner_review_open,
    review_respond,
    review_sign_off,
)
from demo.world import (
    EMAIL_DOMAIN,
    PROGRAM_BY_SLUG,
    RESIDENCY,
    RESIDENT_NAMES,
    SCHOOL,
    STUDENT_NAMES,
    academic_year_start,
    build_roster,
    email_for,
    snap,
)
from frameworks.models import Competency
from learning.models import LearningResource, PractitionerLink, Recommendation, UpcomingVisit
from learning.services import (
    FeedbackAction,
    catalogue_import,
    recommendation_evidence_create,
    recommendation_feedback,
    visit_digest_send,
    visits_upload,
)
from notifications.models import Kind, Notification, NotificationPreference
from notifications.services import notification_preference_set
from portfolio.models import (
    AccessLog,
    Evidence,
    Goal,
    GoalProgressNote,
    LearnerProfile,
    Scope,
    ShareGrant,
)
from portfolio.selectors import access_for, checkins_visible_to
from portfolio.services import (
    access_log_record,
    evidence_create,
    goal_create,
    goal_progress_note_add,
    learner_profile_update,
    share_grant_create,
)
from programs.models import Enrollment, Institution, Program, ReviewPeriod
from programs.services import review_periods_generate

STARTER_CATALOGUE = Path(learning.__file__).resolve().parent / "data" / "starter_catalogue.json"
_NAMESPACE = uuid.UUID("0d4b6a2e-5f7c-4c1e-8f0a-6a3e2b9d7c15")

# Every table the extras write to: the idempotency test counts these before and after a rerun.
EXTRA_MODELS: tuple[type[models.Model], ...] = (
    LearningResource,
    PractitionerLink,
    UpcomingVisit,
    Recommendation,
    LearnerProfile,
    Evidence,
    Goal,
    GoalProgressNote,
    ShareGrant,
    AccessLog,
    CoachingRelationship,
    Meeting,
    ActionItem,
    Thread,
    Comment,
    Notification,
    NotificationPreference,
    AssessmentRequest,
    Assessment,
    AssessmentVersion,
    AssessmentResponse,
    FeedbackRequest,
    FeedbackResponse,
    TeachingEvaluation,
    ReviewPeriod,
    LearnerReview,
    ConsensusRating,
    Procedure,
    CaseLogEntry,
)

ANA = email_for(RESIDENT_NAMES[0])
MAYA = email_for(STUDENT_NAMES[0])
NADIA = email_for("Nadia Haddad")
GRACE = email_for("Grace Whitfield")
MARGARET = email_for("Margaret Okafor")
HELEN = email_for("Helen Achebe")


def _id(*parts: object) -> uuid.UUID:
    """A stable token for a service that is idempotent on one (request, submission keys)."""
    return uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts))


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _backdate(model: type[models.Model], pk: int, **values: Any) -> None:
    """Move a row a service just wrote back in time (see the module docstring)."""
    model._default_manager.filter(pk=pk).update(**values)


def _backdate_notices(keys: Iterable[str], at: dt.datetime, *, read: bool = False) -> None:
    """Date the notifications a service sent for an event (found by their dedupe keys)."""
    notices = Notification.objects.filter(dedupe_key__in=list(keys))
    notices.update(created_at=at, read_at=at + dt.timedelta(hours=2) if read else None)


def _last_log_id() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _backdate_log(since_id: int, at: dt.datetime) -> None:
    """Date the access-log rows written since `since_id` (reads a service just logged)."""
    AccessLog.objects.filter(id__gt=since_id).update(at=at)


def _log_read(*, viewer: User, learner: User, items: Sequence[Any], at: dt.datetime) -> None:
    """Someone opened some of the learner's shared items then; the learner's log says so."""
    since = _last_log_id()
    access_log_record(access=access_for(viewer=viewer, learner=learner), items=items)
    _backdate_log(since, at)


@dataclass
class Cast:
    """The people and programs the extras use. Learners missing from a small roster are None."""

    residency: Program
    school: Program
    users: dict[str, User]

    def get(self, email: str) -> User | None:
        return self.users.get(email)

    def need(self, email: str) -> User:
        return self.users[email]


def _cast(institution: Institution) -> Cast:
    programs = {p.slug: p for p in Program.objects.filter(institution=institution)}
    users = {u.email: u for u in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")}
    return Cast(residency=programs[RESIDENCY], school=programs[SCHOOL], users=users)


def _competencies(program: Program) -> dict[str, Competency]:
    """The program's ratable competencies by code; the rated framework's win a clash."""
    rated = PROGRAM_BY_SLUG[program.slug].rated_framework
    found: dict[str, Competency] = {}
    for competency in (
        Competency.objects.ratable()
        .filter(framework__in=program.frameworks.all())
        .select_related("framework")
        .order_by("framework__code", "order")
    ):
        if competency.code not in found or competency.framework.code == rated:
            found[competency.code] = competency
    return found


def seed_extras(*, institution: Institution) -> None:
    """Add every part of the product beyond ratings to the Northbridge world (idempotent)."""
    cast = _cast(institution)
    today = timezone.localdate()
    with transaction.atomic():
        _inbox_only(cast)
        _learning(cast, today)
        goals = _portfolios(cast, today)
        _coaching(cast, today, goals)
        _observations(cast, today)
        _feedback(cast)
        _committee(cast, today)
        _case_log(cast, today)


# --- Email ------------------------------------------------------------------------------------


def _inbox_only(cast: Cast) -> None:
    """Demo addresses do not exist: demo accounts read their notifications in the inbox only.

    This also keeps `seed_demo` from printing a hundred console emails while it runs.
    """
    chosen = set(
        NotificationPreference.objects.filter(user__in=cast.users.values()).values_list(
            "user_id", flat=True
        )
    )
    for user in cast.users.values():
        if user.pk in chosen:
            continue
        for kind in Kind.values:
            notification_preference_set(user=user, kind=kind, frequency="off")


# --- Learning: catalogue, upcoming clinics, feedback ------------------------------------------

# (FHIR id, days from today counted in weekdays after tomorrow, time, reason). A reason is
# ("code", system, code, display, text) or ("condition", system, code, display, text): the
# latter is sent as a Condition the appointment points to, as EHRs often do.
Visit = tuple[str, int, tuple[int, int], tuple[str, str, str, str, str]]
VISITS: tuple[Visit, ...] = (
    (
        "nb-appt-1",
        0,
        (9, 0),
        ("code", "icd10", "E11.65", "Type 2 diabetes mellitus with hyperglycemia",
         "Diabetes follow-up, HbA1c rising"),
    ),
    (
        "nb-appt-2",
        0,
        (10, 30),
        ("condition", "snomed", "84114007", "Heart failure",
         "Heart failure review two weeks after discharge"),
    ),
    (
        "nb-appt-3",
        0,
        (14, 0),
        ("code", "snomed", "38341003", "Hypertensive disorder", "Blood pressure check"),
    ),
    (
        "nb-appt-4",
        1,
        (9, 30),
        ("code", "icd10", "J44.1",
         "Chronic obstructive pulmonary disease with (acute) exacerbation", "COPD, recent flare"),
    ),
    (
        "nb-appt-5",
        1,
        (11, 0),
        ("condition", "snomed", "49436004", "Atrial fibrillation",
         "Atrial fibrillation, anticoagulation review"),
    ),
    (
        "nb-appt-6",
        2,
        (13, 30),
        ("code", "icd10", "N18.30", "Chronic kidney disease, stage 3 unspecified",
         "Kidney function follow-up"),
    ),
)  # fmt: skip
# Maya's continuity clinic in her clerkship year.
STUDENT_VISITS: tuple[Visit, ...] = (
    (
        "nb-ms-appt-1",
        1,
        (9, 0),
        ("code", "snomed", "195967001", "Asthma", "Asthma review, night-time cough"),
    ),
    (
        "nb-ms-appt-2",
        1,
        (10, 0),
        ("code", "icd10", "F32.A", "Depression, unspecified", "Low mood, follow-up"),
    ),
)
SYSTEMS = {"icd10": "http://hl7.org/fhir/sid/icd-10-cm", "snomed": "http://snomed.info/sct"}
# Whose clinics the demo knows: learner email -> (their Practitioner id in the EHR, visits).
CLINICS: dict[str, tuple[str, tuple[Visit, ...]]] = {
    ANA: ("nb-pr-ana-rivera", VISITS),
    MAYA: ("nb-pr-maya-goldstein", STUDENT_VISITS),
}

# (resource key, feedback); "evidence" is "done, add as evidence".
FEEDBACK: tuple[tuple[str, str], ...] = (
    ("pico-evidence", "evidence"),
    ("hf-gdmt-clinic", FeedbackAction.HELPFUL),
    ("uspstf-screening", FeedbackAction.DISMISS),
)


def visit_days(today: dt.date) -> list[dt.date]:
    """Tomorrow, then the next weekdays after it: the demo's clinic days."""
    tomorrow = today + dt.timedelta(days=1)
    days = [tomorrow]
    while len(days) < 3:
        days.append(_weekday_on_or_after(days[-1] + dt.timedelta(days=1)))
    return days


def clinic_bundle(today: dt.date, practitioner: str, visits: Sequence[Visit]) -> dict[str, Any]:
    """A FHIR R4 Bundle of one learner's booked appointments. No Patient, names or identifiers."""
    days = visit_days(today)
    entries: list[dict[str, Any]] = []
    for fhir_id, day_index, (hour, minute), reason in visits:
        how, system, code, display, text = reason
        coding = {"system": SYSTEMS[system], "code": code, "display": display}
        start = _at(days[day_index], hour, minute)
        appointment: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": fhir_id,
            "status": "booked",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(minutes=20)).isoformat(),
            "participant": [
                {"actor": {"reference": f"Practitioner/{practitioner}"}, "status": "accepted"}
            ],
        }
        if how == "condition":
            condition_id = f"{fhir_id}-reason"
            appointment["reasonReference"] = [{"reference": f"Condition/{condition_id}"}]
            entries.append(
                {
                    "fullUrl": f"urn:uuid:{_id('condition', condition_id)}",
                    "resource": {
                        "resourceType": "Condition",
                        "id": condition_id,
                        "code": {"coding": [coding], "text": text},
                        "subject": {"reference": "Patient/nb-unnamed"},
                    },
                }
            )
        else:
            appointment["reasonCode"] = [{"coding": [coding], "text": text}]
        entries.append({"fullUrl": f"urn:uuid:{_id('appt', fhir_id)}", "resource": appointment})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _learning(cast: Cast, today: dt.date) -> None:
    if not LearningResource.objects.exists():
        catalogue_import(content=STARTER_CATALOGUE.read_bytes(), filename=STARTER_CATALOGUE.name)
    # Uploaded every time with the same ids: the visits follow today and nothing is added.
    for email, (practitioner, visits) in CLINICS.items():
        learner = cast.get(email)
        if learner is not None:
            visits_upload(
                learner=learner,
                content=clinic_bundle(today, practitioner, visits),
                practitioner_id=practitioner,
                today=today,
            )
    ana = cast.get(ANA)
    if ana is None:
        return
    if Recommendation.objects.filter(learner=ana).exists():
        return
    resources = {
        r.key: r for r in LearningResource.objects.filter(key__in=[k for k, _ in FEEDBACK])
    }
    for key, action in FEEDBACK:
        resource = resources.get(key)
        if resource is None:
            continue
        if action == "evidence":
            evidence = recommendation_evidence_create(
                learner=ana,
                resource=resource,
                reason="Recommended for PBLI1, evidence-based practice.",
            )
            day = today - dt.timedelta(days=26)
            _backdate(Evidence, evidence.pk, occurred_on=day, created_at=_at(day, 21))
        else:
            recommendation_feedback(learner=ana, resource=resource, action=action)
    visit_digest_send(learner=ana, day=visit_days(today)[0])
    _backdate_notices(
        [f"learning-visit-digest:{visit_days(today)[0].isoformat()}"], _at(today, 6, 30)
    )


# --- Portfolios --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSpec:
    kind: str
    title: str
    body: str
    days_ago: int
    codes: tuple[str, ...]
    credit: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class GoalSpec:
    key: str
    title: str
    measure: str
    plan: str
    target_in_days: int  # negative: the target date has passed
    status: str
    codes: tuple[str, ...]
    notes: tuple[tuple[int, str], ...] = ()  # (days ago, text)
    evidence: tuple[str, ...] = ()  # titles of the learner's evidence to link


ANA_PROFILE = (
    "PGY-2, Internal Medicine Residency, Northbridge University",
    "Northbridge medical school graduate. Interested in heart failure and in palliative care; "
    "I keep this portfolio for myself first, and share parts of it with my coach and the "
    "competency committee.",
)

ANA_EVIDENCE: tuple[EvidenceSpec, ...] = (
    EvidenceSpec(
        Evidence.Kind.CASE_LOG,
        "Night admission: decompensated heart failure",
        "Older adult admitted overnight with breathlessness and leg swelling. I assessed volume "
        "status at the bedside (neck veins, oedema, lung bases), started intravenous diuretics "
        "and set a daily weight and creatinine plan. Handed over an if-then plan for the "
        "morning team.\n\nTo learn: target doses of guideline-directed therapy before "
        "discharge.",
        40,
        ("PC2", "PC4", "MK2"),
    ),
    EvidenceSpec(
        Evidence.Kind.CASE_LOG,
        "Continuity clinic: starting basal insulin in type 2 diabetes",
        "Explained basal insulin with teach-back, agreed a titration rule the patient could "
        "follow at home and booked a nurse call for day three. My preceptor reviewed the plan.",
        21,
        ("PC5", "ICS1"),
    ),
    EvidenceSpec(
        Evidence.Kind.PROCEDURE_LOG,
        "Paracentesis, diagnostic and therapeutic (supervised)",
        "Ultrasound-guided, with the attending present. Consent, time-out and sterile "
        "technique without prompts; 4 litres removed, albumin given per protocol. Third of "
        "the five supervised procedures the program asks for.",
        16,
        ("PC4",),
    ),
    EvidenceSpec(
        Evidence.Kind.CERTIFICATE,
        "Point-of-care ultrasound workshop",
        "Two-day hands-on course: cardiac views, lung ultrasound, volume assessment and "
        "procedural guidance.",
        75,
        ("PC2", "MK3"),
        Decimal("6.5"),
        "Northbridge continuing medical education office",
    ),
    EvidenceSpec(
        Evidence.Kind.DOCUMENT,
        "Morning report: an approach to hyponatremia",
        "Slides and a one-page handout I prepared for morning report: volume status first, "
        "then urine studies, then the causes not to miss.",
        30,
        ("MK1", "ICS2"),
    ),
    EvidenceSpec(
        Evidence.Kind.REFLECTION,
        "A family meeting that went off course",
        "I led my first goals-of-care meeting on nights. I opened with the scan results before "
        "asking what the family already understood, and the conversation became an argument "
        "about the previous hospital. Once I stopped and asked what mattered most to them, it "
        "settled.\n\nNext time: ask first, then tell; agree an agenda; leave silence after "
        "hard news. I want to be observed leading one of these on the next ward block.",
        8,
        ("ICS1", "PROF2"),
    ),
)

ANA_GOALS: tuple[GoalSpec, ...] = (
    GoalSpec(
        "family-meeting",
        "Lead a goals-of-care family meeting with an attending observing",
        "An observation of a meeting I lead rates ICS1 at level 3 or above, with one thing to "
        "keep and one to change.",
        "Sit in on two palliative care family meetings; use a structured guide for serious "
        "news; ask for an observation on the next ward block.",
        45,
        Goal.Status.ACTIVE,
        ("ICS1", "PROF2"),
        (
            (30, "Sat in on a palliative care family meeting; wrote down how it was structured."),
            (
                9,
                "Led most of a meeting myself. Ran over time: agree an agenda with the family "
                "first.",
            ),
        ),
    ),
    GoalSpec(
        "heart-failure",
        "Titrate heart failure medicines to target doses for my continuity patients",
        "Each of my continuity patients with reduced ejection fraction has a written plan to "
        "reach target doses, reviewed with my preceptor.",
        "List the patients; review each regimen before their visit; one change per visit.",
        60,
        Goal.Status.ACTIVE,
        ("MK2", "PC5"),
        ((14, "Reviewed four regimens: two at target, two need a change at the next visit."),),
        (
            "Night admission: decompensated heart failure",
            "Continuity clinic: starting basal insulin in type 2 diabetes",
        ),
    ),
    GoalSpec(
        "pico",
        "Present an evidence summary at morning report",
        "A one-page appraisal of a trial that answers a question from my own patients, "
        "presented at morning report.",
        "Pick the question from a real case, search, appraise with the chief resident.",
        -16,
        Goal.Status.ACTIVE,
        ("PBLI1",),
        ((35, "Chose the question: how long to anticoagulate after a first unprovoked clot."),),
    ),
    GoalSpec(
        "pending-results",
        "Close the loop on every pending result before handover",
        "A whole ward block without a result missed at handover.",
        "Keep a pending-results list in my handover template and go through it at sign-out.",
        -50,
        Goal.Status.ACHIEVED,
        ("PROF3", "SBP2"),
        (
            (80, "Added a pending-results list to my handover template."),
            (50, "A whole ward block without a missed result; checked with the charge nurse."),
        ),
    ),
)

# A few more learners, so coach and committee pages are not about Ana alone.
OTHER_EVIDENCE: tuple[EvidenceSpec, ...] = (
    EvidenceSpec(
        Evidence.Kind.CASE_LOG,
        "Rapid response: new atrial fibrillation with a fast rate",
        "Assessed stability, chose rate control, started anticoagulation after discussing "
        "bleeding risk with the senior resident.",
        18,
        ("PC4", "MK2"),
    ),
    EvidenceSpec(
        Evidence.Kind.CASE_LOG,
        "Clinic: blood pressure uncontrolled on three medicines",
        "Checked technique and adherence first, then added a fourth agent and planned home "
        "readings.",
        33,
        ("PC5", "MK2"),
    ),
    EvidenceSpec(
        Evidence.Kind.CERTIFICATE,
        "Advanced cardiac life support (ACLS) provider",
        "Renewed provider certification.",
        120,
        ("PC4",),
        None,
        "Northbridge simulation centre",
    ),
    EvidenceSpec(
        Evidence.Kind.DOCUMENT,
        "Quality improvement charter: time to antibiotics in sepsis",
        "Aim, measures and the first change to test, agreed with the ward's nurse educator.",
        45,
        ("SBP1", "PBLI1"),
    ),
    EvidenceSpec(
        Evidence.Kind.CASE_LOG,
        "Discharge with new home oxygen",
        "Coordinated the oxygen assessment, supplier and follow-up before the weekend.",
        12,
        ("SBP2", "ICS2"),
    ),
)
OTHER_GOALS: tuple[GoalSpec, ...] = (
    GoalSpec(
        "cross-cover",
        "Answer every cross-cover page with a written if-then plan",
        "My overnight notes each end with what to do if things change; my senior checks two.",
        "Use the template from the night-float orientation.",
        30,
        Goal.Status.ACTIVE,
        ("PC4", "ICS2"),
        ((6, "Used the template on four nights; two plans reviewed."),),
    ),
    GoalSpec(
        "landmark-trials",
        "Read one landmark trial a week and summarise it for the team",
        "Eight one-paragraph summaries shared on the team's board by the end of the block.",
        "Pick from the program's reading list; Friday mornings.",
        50,
        Goal.Status.PLANNED,
        ("PBLI1", "MK2"),
    ),
    GoalSpec(
        "handover",
        "Give a structured handover at the end of every evening shift",
        "The night team says the handover was complete on a short survey, four weeks running.",
        "Use the structured format; sickest patient first.",
        -6,
        Goal.Status.ACTIVE,
        ("ICS2",),
        ((20, "Started using the format; the survey is ready."),),
    ),
    GoalSpec(
        "safety-event",
        "Bring a safety event to the monthly case conference",
        "Present one event with a systems analysis and one proposed change.",
        "Ask the patient safety officer for a case; prepare with my senior.",
        40,
        Goal.Status.ACTIVE,
        ("SBP1",),
        ((10, "Picked an insulin near miss from the ward's reports."),),
    ),
    GoalSpec(
        "huddle",
        "Run the team's morning huddle twice a week",
        "Every patient's plan for the day, and who does what, agreed in under ten minutes.",
        "Shadow the senior resident's huddles for a week, then take over on Tuesdays and Fridays.",
        25,
        Goal.Status.ACTIVE,
        ("ICS2", "SBP2"),
        ((8, "Ran two huddles; the second took twelve minutes."),),
    ),
    GoalSpec(
        "foot-exam",
        "Examine the feet of every patient with diabetes I admit",
        "A documented foot examination in each admission note of a patient with diabetes.",
        "Add it to my admission checklist; ask for the monofilament on the ward.",
        20,
        Goal.Status.ACTIVE,
        ("PC2",),
        ((5, "Documented it in five of six admissions this week."),),
    ),
)
STUDENT_EVIDENCE: tuple[EvidenceSpec, ...] = (
    EvidenceSpec(
        Evidence.Kind.CASE_LOG,
        "Clerkship: first full admission history and exam",
        "Took the history and examined a patient admitted with pneumonia; presented on rounds.",
        20,
        ("EPA1", "EPA6"),
    ),
    EvidenceSpec(
        Evidence.Kind.REFLECTION,
        "What I learnt from getting the differential wrong",
        "I anchored on the first diagnosis. Writing three alternatives before presenting helps.",
        9,
        ("EPA2",),
    ),
)
STUDENT_GOALS: tuple[GoalSpec, ...] = (
    GoalSpec(
        "presentations",
        "Present new patients in under five minutes with a clear plan",
        "Two observed presentations rated 3 or above on EPA 6 this clerkship.",
        "Practise with the presentation template; ask for observation on Thursdays.",
        35,
        Goal.Status.ACTIVE,
        ("EPA6",),
        ((7, "First observed presentation: too long, clear plan."),),
    ),
)

# (resident index in RESIDENT_NAMES, evidence indexes, goal indexes, share with the committee)
OTHER_PORTFOLIOS: tuple[tuple[int, tuple[int, ...], tuple[int, ...], bool], ...] = (
    (1, (0, 2), (0, 1), False),
    (2, (3, 1), (3, 4), True),
    (3, (4, 0), (5, 1), True),
    (4, (2, 4), (0,), False),
    (5, (1, 3), (2, 3), False),
)


def _write_portfolio(
    *,
    learner: User,
    today: dt.date,
    codes: dict[str, Competency],
    evidence: Sequence[EvidenceSpec],
    goals: Sequence[GoalSpec],
) -> dict[str, Goal]:
    made: dict[str, Evidence] = {}
    for spec in evidence:
        day = today - dt.timedelta(days=spec.days_ago)
        item = evidence_create(
            learner=learner,
            kind=spec.kind,
            title=spec.title,
            body=spec.body,
            occurred_on=day,
            competency_ids=[codes[c].pk for c in spec.codes if c in codes],
            credit_hours=spec.credit,
            external_source=spec.source,
        )
        _backdate(Evidence, item.pk, created_at=_at(day, 20), updated_at=_at(day, 20))
        made[spec.title] = item
    written: dict[str, Goal] = {}
    for goal_spec in goals:
        target = today + dt.timedelta(days=goal_spec.target_in_days)
        goal = goal_create(
            learner=learner,
            title=goal_spec.title,
            measure=goal_spec.measure,
            plan=goal_spec.plan,
            target_date=target,
            status=goal_spec.status,
            competency_ids=[codes[c].pk for c in goal_spec.codes if c in codes],
            evidence_ids=[made[t].pk for t in goal_spec.evidence if t in made],
        )
        for days_ago, text in goal_spec.notes:
            goal_progress_note_add(goal=goal, text=text, noted_on=today - dt.timedelta(days_ago))
        oldest = max([d for d, _ in goal_spec.notes] + [20]) + 5
        newest = min([d for d, _ in goal_spec.notes] + [oldest])
        _backdate(
            Goal,
            goal.pk,
            created_at=_at(today - dt.timedelta(days=oldest), 21),
            updated_at=_at(today - dt.timedelta(days=newest), 21),
        )
        written[goal_spec.key] = goal
    return written


def _portfolios(cast: Cast, today: dt.date) -> dict[str, Goal]:
    """Evidence, reflections, goals and committee shares; Ana's goals by key."""
    residency_codes = _competencies(cast.residency)
    ana_goals: dict[str, Goal] = {}
    ana = cast.get(ANA)
    if ana is not None:
        if Goal.objects.filter(learner=ana).exists():
            ana_goals = {
                spec.key: goal
                for spec in ANA_GOALS
                for goal in Goal.objects.filter(learner=ana, title=spec.title)[:1]
            }
        else:
            learner_profile_update(learner=ana, headline=ANA_PROFILE[0], about=ANA_PROFILE[1])
            ana_goals = _write_portfolio(
                learner=ana,
                today=today,
                codes=residency_codes,
                evidence=ANA_EVIDENCE,
                goals=ANA_GOALS,
            )
            grant = share_grant_create(
                learner=ana,
                scopes=[Scope.CHECKINS, Scope.EVIDENCE, Scope.GOALS],
                program_id=cast.residency.pk,
                note="For my semi-annual committee reviews.",
            )
            _backdate(ShareGrant, grant.pk, created_at=_at(today - dt.timedelta(days=150), 20))
    for index, evidence, goals, with_committee in OTHER_PORTFOLIOS:
        learner = cast.get(email_for(RESIDENT_NAMES[index]))
        if learner is None or Goal.objects.filter(learner=learner).exists():
            continue
        _write_portfolio(
            learner=learner,
            today=today,
            codes=residency_codes,
            evidence=[OTHER_EVIDENCE[i] for i in evidence],
            goals=[OTHER_GOALS[i] for i in goals],
        )
        if with_committee:
            share_grant_create(
                learner=learner,
                scopes=[Scope.EVIDENCE, Scope.GOALS],
                program_id=cast.residency.pk,
            )
    maya = cast.get(MAYA)
    if maya is not None and not Goal.objects.filter(learner=maya).exists():
        _write_portfolio(
            learner=maya,
            today=today,
            codes=_competencies(cast.school),
            evidence=STUDENT_EVIDENCE,
            goals=STUDENT_GOALS,
        )
    return ana_goals


# --- Coaching -------------------------------------------------------------------------------

# Residents the program assigns to Nadia: (index in RESIDENT_NAMES, days ago, accepted).
ASSIGNED: tuple[tuple[int, int, bool], ...] = (
    (1, 95, True),
    (2, 110, True),
    (3, 70, True),
    (4, 60, True),
    (5, 40, True),
    (6, 3, False),  # not answered yet: shows a pending proposal
)

PAST_MEETING_NOTES = (
    "**Went well since last time:** the heart failure case log and the family meeting you "
    "led on nights.\n\n"
    "**Talked about:** opening family meetings by asking what they already know; the "
    "morning report presentation that slipped.\n\n"
    "**Agreed:** bring three heart failure regimens next time; set a new date for the "
    "evidence summary."
)
PAST_MEETING_PRIVATE = (
    "Tired after nights but engaged. Check in about workload at the next meeting; "
    "mention the wellness resources if it comes up again."
)
THREAD = (
    (
        "nadia",
        5,
        "Good plan. Which of the two patients who are not at target worries you most? It may "
        "be worth starting there and asking the heart failure nurse to join the visit.",
    ),
    (
        "ana",
        4,
        "The one with kidney disease: I am not sure how far to push the doses. I will ask the "
        "nurse and look at the creatinine trend first.",
    ),
    (
        "nadia",
        3,
        "That is the right question. Bring the creatinine trend to our next meeting and we can "
        "look at it together.",
    ),
)


# Meetings Nadia held with other coachees: index in RESIDENT_NAMES -> (days ago, shared notes).
HELD_MEETINGS: dict[int, tuple[int, str]] = {
    1: (
        18,
        "First meeting. Settling into nights; agreed to check in after each block and to look "
        "at the self-assessment together next time.",
    ),
    2: (
        25,
        "Talked through the hospice family meeting and how to ask for feedback on it. Next: "
        "the safety event for the case conference.",
    ),
}


def _held_meeting(
    relationship: CoachingRelationship, coach: User, today: dt.date, days_ago: int, notes: str
) -> None:
    day = _weekday_on_or_after(today - dt.timedelta(days=days_ago))
    since = _last_log_id()
    meeting = meeting_schedule(
        coach=coach, relationship=relationship, starts_at=_at(day, 15), duration_minutes=30
    )
    _backdate_log(since, _at(day - dt.timedelta(5), 9))  # drafting the agenda read the items
    meeting_notes_update(
        meeting=meeting,
        by=coach,
        agenda=meeting.agenda,
        shared_notes=notes,
        private_notes="",
        held=True,
    )
    _backdate_notices([f"meeting:{meeting.pk}:scheduled"], _at(day - dt.timedelta(5), 9), read=True)
    Notification.objects.filter(dedupe_key__startswith=f"meeting:{meeting.pk}:notes").update(
        created_at=_at(day, 16), read_at=_at(day, 20)
    )


def _relationship_dates(relationship: CoachingRelationship, started: dt.datetime) -> None:
    accepted = started + dt.timedelta(days=2)
    _backdate(CoachingRelationship, relationship.pk, created_at=started, accepted_at=accepted)
    if relationship.share_grant_id is not None:
        _backdate(ShareGrant, relationship.share_grant_id, created_at=accepted)
    _backdate_notices(
        [
            f"relationship:{relationship.pk}:invited",
            f"relationship:{relationship.pk}:assigned",
        ],
        started,
        read=True,
    )
    _backdate_notices([f"relationship:{relationship.pk}:accepted"], accepted, read=True)


def _coaching(cast: Cast, today: dt.date, goals: dict[str, Goal]) -> None:
    nadia, margaret = cast.need(NADIA), cast.need(MARGARET)
    coached = set(
        CoachingRelationship.objects.filter(coach=nadia).values_list("learner_id", flat=True)
    )
    for index, days_ago, accepted in ASSIGNED:
        learner = cast.get(email_for(RESIDENT_NAMES[index]))
        if learner is None or learner.pk in coached:
            continue
        relationship = relationship_assign(
            assigned_by=margaret,
            program=cast.residency,
            learner=learner,
            coach=nadia,
            message="Nadia coaches residents in our program; she will meet you each block.",
        )
        if accepted:
            relationship = relationship_accept(relationship=relationship, by=learner)
            _relationship_dates(relationship, _at(today - dt.timedelta(days=days_ago), 10))
            if index in HELD_MEETINGS:
                _held_meeting(relationship, nadia, today, *HELD_MEETINGS[index])
        else:
            _backdate(
                CoachingRelationship,
                relationship.pk,
                created_at=_at(today - dt.timedelta(days=days_ago), 10),
            )

    maya = cast.get(MAYA)
    if maya is not None and maya.pk not in coached:
        relationship = relationship_invite(
            learner=maya,
            coach_email=NADIA,
            share_scopes=[Scope.GOALS, Scope.CHECKINS],
            message="Could you be my coach during the clerkship year?",
        )
        relationship = relationship_accept(relationship=relationship, by=nadia)
        _relationship_dates(relationship, _at(today - dt.timedelta(days=50), 18))

    ana = cast.get(ANA)
    if ana is None or ana.pk in coached:
        return
    relationship = relationship_invite(
        learner=ana,
        coach_email=NADIA,
        share_scopes=[Scope.GOALS, Scope.CHECKINS],  # reflections stay private
        message="Would you coach me through PGY-2? Family meetings and evidence-based "
        "practice are what I want to work on.",
    )
    relationship = relationship_accept(relationship=relationship, by=nadia)
    _relationship_dates(relationship, _at(today - dt.timedelta(days=130), 19))
    _ana_coaching(cast, today, relationship, goals)


def _ana_coaching(
    cast: Cast, today: dt.date, relationship: CoachingRelationship, goals: dict[str, Goal]
) -> None:
    ana, nadia = cast.need(ANA), cast.need(NADIA)

    # The last meeting, held twelve days ago, with notes and two agreed actions.
    held_on = _weekday_on_or_after(today - dt.timedelta(days=12))
    since = _last_log_id()
    meeting = meeting_schedule(
        coach=nadia,
        relationship=relationship,
        starts_at=_at(held_on, 16),
        duration_minutes=45,
        location="Coaching office, clinic building, room 3.14",
    )
    _backdate_log(since, _at(held_on - dt.timedelta(7), 9))  # drafting the agenda read the items
    meeting = meeting_notes_update(
        meeting=meeting,
        by=nadia,
        agenda=meeting.agenda,
        shared_notes=PAST_MEETING_NOTES,
        private_notes=PAST_MEETING_PRIVATE,
        held=True,
    )
    _backdate_notices(
        [f"meeting:{meeting.pk}:scheduled"], _at(held_on - dt.timedelta(7), 9), read=True
    )
    Notification.objects.filter(dedupe_key__startswith=f"meeting:{meeting.pk}:notes").update(
        created_at=_at(held_on, 17), read_at=_at(held_on, 21)
    )
    items = []
    if "heart-failure" in goals:
        items.append(
            action_item_propose(
                meeting=meeting,
                by=nadia,
                title="Bring three heart failure regimens to our next meeting",
                detail="Pick the ones you are least sure about; we will go through them together.",
                goal_id=goals["heart-failure"].pk,
            )
        )
    if "pico" in goals:
        items.append(
            action_item_propose(
                meeting=meeting,
                by=nadia,
                title="Present the evidence summary at morning report",
                detail="Book the slot with the chief resident this week.",
                target_date=today + dt.timedelta(days=21),
                goal_id=goals["pico"].pk,
            )
        )
    for number, item in enumerate(items):
        _backdate(ActionItem, item.pk, created_at=_at(held_on, 17))
        # Ana has read the one she confirmed below.
        _backdate_notices([f"action-item:{item.pk}:proposed"], _at(held_on, 17), read=number == 0)
    if items:
        # Ana confirmed the first; the second still waits for her answer.
        action_item_confirm(item=items[0], by=ana)

    # After the meeting, a comment thread on a goal Ana shares with Nadia.
    goal = goals.get("heart-failure")
    if goal is not None:
        thread: Thread | None = None
        for who, days_ago, body in THREAD:
            author = nadia if who == "nadia" else ana
            target = target_visible_to(viewer=author, target_type="goal", pk=goal.pk)
            assert target is not None, "Ana shares her goals with Nadia"
            comment = comment_post(author=author, target=target, body=body, thread=thread)
            thread = comment.thread
            at = _at(today - dt.timedelta(days=days_ago), 20 if who == "ana" else 12)
            if author == nadia:
                _log_read(viewer=nadia, learner=ana, items=[goal], at=at - dt.timedelta(minutes=6))
            _backdate(Comment, comment.pk, created_at=at)
            _backdate(Thread, thread.pk, last_activity_at=at)
            _backdate_notices([f"comment:{comment.pk}"], at, read=days_ago > 3)

    # The next meeting, early next week.
    meeting_schedule(
        coach=nadia,
        relationship=relationship,
        starts_at=_at(_weekday_on_or_after(today + dt.timedelta(days=5)), 16),
        duration_minutes=30,
        location="Video call",
    )
    # And one with another coachee, so the coach's week has more than Ana in it.
    other = (
        CoachingRelationship.objects.active()
        .filter(coach=nadia, learner__email=email_for(RESIDENT_NAMES[3]))
        .first()
    )
    if other is not None:
        meeting_schedule(
            coach=nadia,
            relationship=other,
            starts_at=_at(_weekday_on_or_after(today + dt.timedelta(days=2)), 12, 30),
            duration_minutes=30,
            location="Cafeteria, ground floor",
        )


# --- Observation requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestSpec:
    learner: str  # email
    codes: tuple[str, ...]
    setting: str
    case_type: str
    asked_days_ago: int
    due_in_days: int | None  # negative: overdue
    note: str = ""
    outcome: str = "open"  # open, completed or declined


REQUESTS: tuple[RequestSpec, ...] = (
    RequestSpec(
        ANA,
        ("PC3", "ICS2"),
        "ward",
        "Admission presentation: community-acquired pneumonia",
        1,
        4,
        "You were on the round when I presented the pneumonia admission; could you rate my "
        "reasoning and the presentation?",
    ),
    RequestSpec(
        ANA,
        ("PC2", "PC3"),
        "clinic",
        "Clinic: breathlessness on exertion",
        9,
        5,
        "The patient you saw with me on Tuesday afternoon.",
        "completed",
    ),
    RequestSpec(
        email_for(RESIDENT_NAMES[1]), ("PC1",), "ward", "Admission history: chest pain", 3, 2
    ),
    RequestSpec(
        email_for(RESIDENT_NAMES[2]),
        ("ICS1", "PROF2"),
        "ward",
        "Family meeting about hospice",
        12,
        -4,
        "It was a long meeting; any feedback on how I handled the disagreement would help.",
    ),
    RequestSpec(
        email_for(RESIDENT_NAMES[3]), ("PC4",), "emergency", "Admission from the ED: sepsis",
        18, None,
    ),
    RequestSpec(email_for(RESIDENT_NAMES[4]), ("ICS2",), "ward", "Evening handover", 1, 6),
    RequestSpec(
        email_for(RESIDENT_NAMES[5]), ("MK3",), "ward", "ECG interpretation on call", 10, -2
    ),
    RequestSpec(MAYA, ("EPA1",), "clinic", "New patient history in continuity clinic", 2, 3),
    RequestSpec(
        email_for(RESIDENT_NAMES[6]),
        ("PC5",),
        "clinic",
        "Clinic: follow-up of diabetes",
        6,
        1,
        outcome="declined",
    ),
)  # fmt: skip


def _observations(cast: Cast, today: dt.date) -> None:
    grace = cast.need(GRACE)
    codes = {
        RESIDENCY: _competencies(cast.residency),
        SCHOOL: _competencies(cast.school),
    }
    created_any = False
    for number, spec in enumerate(REQUESTS):
        learner = cast.get(spec.learner)
        if learner is None:
            continue
        asked_on = today - dt.timedelta(days=spec.asked_days_ago)
        due = None if spec.due_in_days is None else today + dt.timedelta(days=spec.due_in_days)
        program_codes = codes[SCHOOL if spec.learner == MAYA else RESIDENCY]
        request, created = observation_request_create(
            learner=learner,
            assessor_id=grace.pk,
            competency_ids=[program_codes[c].pk for c in spec.codes],
            setting=spec.setting,
            case_type=spec.case_type,
            encounter_on=asked_on,
            due_on=None if due is None else max(due, today),
            note=spec.note,
            client_token=_id("request", spec.learner, number),
        )
        if not created:
            continue
        created_any = True
        asked_at = _at(asked_on, 18, 10)
        _backdate(
            AssessmentRequest, request.pk, created_at=asked_at, updated_at=asked_at, due_on=due
        )
        _backdate_notices([f"observation-request:{request.pk}:created"], asked_at)
        request.refresh_from_db()
        if spec.outcome == "completed":
            _complete(request, grace, learner, today)
        elif spec.outcome == "declined":
            observation_request_decline(
                request=request,
                assessor=grace,
                reason="I was not in clinic that afternoon; Dr Kwan supervised you, please ask "
                "him.",
            )
            declined_at = asked_at + dt.timedelta(hours=20)
            _backdate(AssessmentRequest, request.pk, closed_at=declined_at, updated_at=declined_at)
            _backdate_notices([f"observation-request:{request.pk}:declined"], declined_at)
    if created_any:
        observation_requests_remind(today=today)


# --- Multi-source feedback and teaching evaluations --------------------------------------------

# Ana's feedback: four patients and three nurses (both groups shown), one peer and one other
# staff member (pooled as "other", still under 3, so waiting), one patient link still open.
MSF_ANSWERS: list[tuple[str, dict[str, int], str]] = [
    (
        "patient",
        {"listened": 4, "explained": 4, "respect": 4, "involved": 3},
        "Took time to explain my new tablets.",
    ),
    ("patient", {"listened": 4, "explained": 3, "respect": 4, "involved": 3}, ""),
    (
        "patient",
        {"listened": 3, "explained": 3, "respect": 4, "involved": 2},
        "I would have liked a say in when I go home.",
    ),
    (
        "patient",
        {"listened": 4, "explained": 4, "respect": 4, "involved": 4},
        "Kind, and came back when she said she would.",
    ),
    (
        "nurse",
        {"communication": 4, "respect": 5, "reliability": 4, "safety": 4},
        "Clear plans at handover.",
    ),
    (
        "nurse",
        {"communication": 3, "respect": 5, "reliability": 4, "safety": 4},
        "Answer pages a little sooner on busy nights.",
    ),
    ("nurse", {"communication": 4, "respect": 4, "reliability": 5, "safety": 5}, ""),
    (
        "peer",
        {"communication": 4, "respect": 5, "reliability": 4, "safety": 4},
        "Good at sharing the list fairly.",
    ),
    ("staff", {"communication": 4, "respect": 5, "reliability": 5, "safety": 4}, ""),
]
TEACHING_ANSWERS = {"time": 4, "feedback": 4, "climate": 5, "supervision": 4}


def _feedback(cast: Cast) -> None:
    """Feedback for Ana from patients and the team, and residents' evaluations of Grace (six
    of them, so she and the director see an aggregate)."""
    ana = cast.get(ANA)
    if ana is None:
        return
    for number, (rater_type, ratings, comment) in enumerate(MSF_ANSWERS):
        made, created = feedback_request_create(
            learner=ana, by=ana, rater_type=rater_type, client_token=_id("feedback", number)
        )
        if created:
            feedback_respond(request=made, ratings=ratings, comment=comment)
    feedback_request_create(
        learner=ana, by=ana, rater_type="patient", client_token=_id("feedback", "open")
    )
    grace = cast.need(GRACE)
    residents = (
        Enrollment.objects.current()
        .filter(program=cast.residency)
        .exclude(learner=grace)
        .order_by("learner__email")
        .select_related("learner")[:6]
    )
    done = set(TeachingEvaluation.objects.filter(teacher=grace).values_list("author_id", flat=True))
    for enrollment in residents:
        if enrollment.learner_id not in done:
            teacher_evaluation_create(
                author=enrollment.learner, teacher_id=grace.pk, ratings=TEACHING_ANSWERS
            )


def _complete(request: AssessmentRequest, grace: User, ana: User, today: dt.date) -> None:
    competencies = list(request.competencies.order_by("order", "id"))
    levels = (Decimal("3"), Decimal("2.5"))
    result = observation_request_complete(
        request=request,
        assessor=grace,
        ratings=[RatingInput(c.pk, levels[i % len(levels)]) for i, c in enumerate(competencies)],
        went_well="Focused history: you went straight to exertional symptoms and orthopnoea, "
        "and your exam of the neck veins and ankles was careful and explained to the patient.",
        next_step="State your leading diagnosis and one alternative before ordering tests; "
        "you ordered the echo before saying what you expected it to show.",
        submission_key=_id("complete", request.pk),
    )
    done_at = _at(today - dt.timedelta(days=7), 13, 5)
    _backdate(AssessmentRequest, request.pk, closed_at=done_at, updated_at=done_at)
    for assessment in result.assessments:
        _backdate(Assessment, assessment.pk, created_at=done_at, updated_at=done_at)
        AssessmentVersion.objects.filter(assessment=assessment).update(recorded_at=done_at)
    first = result.assessments[0]
    _backdate_notices([f"assessment:{first.submission_key}:created"], done_at, read=True)
    response, _ = assessment_respond(
        assessment=first,
        learner=ana,
        text="Thank you. I will say my leading diagnosis out loud before ordering from now on.",
        client_token=_id("response", first.pk),
    )
    _backdate(AssessmentResponse, response.pk, created_at=done_at + dt.timedelta(hours=6))
    _backdate_notices(
        [f"assessment-response:{response.pk}"], done_at + dt.timedelta(hours=6), read=True
    )


# --- Committee reviews ------------------------------------------------------------------------

ANA_SUMMARY = (
    "Steady progress for a PGY-{year}. Communication with families and professionalism are "
    "strengths. Next period: evidence-based practice (PBLI1) and systems-based practice."
)
ANA_RESPONSE = (
    "Thank you. I agree that evidence-based practice is my next step; my coach and I have "
    "set a goal for it."
)
ON_TRACK = "On track for the training year. The committee has no concerns."
BELOW = (
    "Below the expected level in several sub-competencies. The program director will agree an "
    "individual learning plan with the resident and review it at mid-period."
)
# In the current, open period the committee has started on these learners' reviews.
DRAFT_CODES = ("PC1", "PC3", "ICS1", "PROF1")


def _periods(program: Program, today: dt.date) -> tuple[ReviewPeriod | None, ReviewPeriod | None]:
    """The last period that has ended and the one running today."""
    periods = ReviewPeriod.objects.filter(program=program)
    past = periods.filter(end_date__lt=today).order_by("-end_date").first()
    current = periods.filter(start_date__lte=today, end_date__gte=today).first()
    return past, current


def _ratings_in(
    program: Program, period: ReviewPeriod, learner_ids: Sequence[int]
) -> dict[int, dict[int, list[Decimal]]]:
    ratings: dict[int, dict[int, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for learner_id, competency_id, level in Assessment.objects.filter(
        learner_id__in=learner_ids,
        competency__framework__in=program.frameworks.all(),
        observed_on__range=(period.start_date, period.end_date),
    ).values_list("learner_id", "competency_id", "level"):
        ratings[learner_id][competency_id].append(level)
    return ratings


def _consensus_text(levels: Sequence[Decimal]) -> str:
    if not levels:
        return (
            "No direct ratings in the period; set from the overall pattern of ratings and the "
            "narrative comments."
        )
    low, high = min(levels), max(levels)
    spread = f"{low.normalize():f}" if low == high else f"{low.normalize():f}–{high.normalize():f}"
    return (
        f"{len(levels)} faculty rating{'s' if len(levels) != 1 else ''} in the period ({spread}); "
        "the narratives agree with the level."
    )


def _committee(cast: Cast, today: dt.date) -> None:
    program = cast.residency
    if not ReviewPeriod.objects.filter(program=program).exists():
        start = academic_year_start(PROGRAM_BY_SLUG[RESIDENCY], today)
        review_periods_generate(program=program, first_year=start.year - 2, years=3)
    past, current = _periods(program, today)
    if past is None:
        return
    helen = cast.get(HELEN) or cast.need(MARGARET)
    margaret = cast.need(MARGARET)
    codes = _competencies(program)
    # Every ratable item of every framework the program uses: sign-off needs them all.
    competencies = list(
        Competency.objects.ratable()
        .filter(framework__in=program.frameworks.all())
        .select_related("framework__scale")
        .order_by("framework__code", "order")
    )
    scales = {c.framework_id: sorted(c.framework.scale.allowed_values()) for c in competencies}
    at_risk = {spec.email for spec in build_roster() if spec.at_risk}

    enrollments = list(
        Enrollment.objects.filter(program=program, start_date__lte=past.end_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=past.start_date))
        .select_related("learner", "program")
        .order_by("learner__email")
    )
    reviewed = set(LearnerReview.objects.filter(period=past).values_list("learner_id", flat=True))
    ratings = _ratings_in(program, past, [e.learner_id for e in enrollments])
    for enrollment in enrollments:
        learner = enrollment.learner
        mine = ratings.get(learner.pk)
        if learner.pk in reviewed or not mine:
            continue
        review = learner_review_open(period=past, enrollment=enrollment)
        overall = statistics.median(float(level) for levels in mine.values() for level in levels)
        for competency in competencies:
            levels = mine.get(competency.pk, [])
            value = statistics.median(float(v) for v in levels) if levels else overall
            consensus_record(
                review=review,
                competency_id=competency.pk,
                level=snap(value, scales[competency.framework_id]),
                rationale=_consensus_text(levels),
                by=helen,
            )
        if learner.email == ANA:
            summary = ANA_SUMMARY.format(year=review.training_year)
        else:
            summary = BELOW if learner.email in at_risk else ON_TRACK
        review_sign_off(review=review, by=margaret, summary=summary)
        # The committee met three weeks after the period ended (or yesterday, if sooner).
        signed = _at(min(past.end_date + dt.timedelta(days=21), today - dt.timedelta(1)), 17)
        _backdate(
            LearnerReview, review.pk, created_at=signed - dt.timedelta(7), signed_off_at=signed
        )
        ConsensusRating.objects.filter(review=review).update(recorded_at=signed - dt.timedelta(2))
        if learner.email == ANA:
            # Preparing the review, the committee read the check-ins Ana shares with it.
            _log_read(
                viewer=helen,
                learner=learner,
                items=list(
                    checkins_visible_to(viewer=helen, learner=learner).filter(
                        created_at__date__range=(past.start_date, past.end_date)
                    )
                ),
                at=signed - dt.timedelta(days=8),
            )
            review_respond(review=review, learner=learner, text=ANA_RESPONSE)
            answered = min(signed + dt.timedelta(days=4), timezone.now())
            _backdate(LearnerReview, review.pk, responded_at=answered)

    if current is None:
        return
    # The committee has started on Ana and on Leila Farahani, a resident at risk.
    started = [email_for(RESIDENT_NAMES[i]) for i in (0, 18)]
    drafts = list(
        Enrollment.objects.current()
        .filter(program=program, learner__email__in=started)
        .select_related("learner", "program")
    )
    ratings = _ratings_in(program, current, [e.learner_id for e in drafts])
    for enrollment in drafts:
        review = learner_review_open(period=current, enrollment=enrollment)
        if ConsensusRating.objects.filter(review=review).exists():
            continue
        for code in DRAFT_CODES:
            if code not in codes:
                continue
            levels = ratings.get(enrollment.learner_id, {}).get(codes[code].pk, [])
            if not levels:
                continue
            consensus_record(
                review=review,
                competency_id=codes[code].pk,
                level=snap(
                    statistics.median(float(v) for v in levels),
                    scales[codes[code].framework_id],
                ),
                rationale="Provisional, pending the end of the period. " + _consensus_text(levels),
                by=helen,
            )


# --- The procedure and case log ---------------------------------------------------------------

# The residency's procedure list: code, name, minimum number (invented numbers, not a board's).
RESIDENCY_PROCEDURES = (
    ("IM-ABG", "Arterial blood gas sampling", 5),
    ("IM-ART", "Arterial line placement", 3),
    ("IM-CVC", "Central venous catheter placement", 5),
    ("IM-LP", "Lumbar puncture", 3),
    ("IM-PARA", "Paracentesis", 3),
    ("IM-THOR", "Thoracentesis", 3),
)
# Ana's entries: procedure code, days ago, role, site, age band, sex, verified by Grace.
ANA_CASES = (
    ("IM-CVC", 40, "assisted", "Northbridge General ICU", "older", "male", True),
    ("IM-CVC", 26, "performed", "Northbridge General ICU", "adult", "female", True),
    ("IM-PARA", 12, "performed", "Northbridge General, ward 5", "adult", "male", True),
    ("IM-LP", 3, "performed", "Northbridge General ED", "adult", "female", False),
)


def _case_log(cast: Cast, today: dt.date) -> None:
    """The residency's procedure list and a few of Ana's cases, some verified by Grace."""
    director = User.objects.filter(
        program_roles__program=cast.residency, program_roles__role="director"
    ).first()
    for code, name, minimum in RESIDENCY_PROCEDURES:
        if not Procedure.objects.filter(program=cast.residency, code=code).exists():
            procedure_save(
                program=cast.residency, by=director, code=code, name=name, minimum=minimum
            )
    ana, grace = cast.get(ANA), cast.need(GRACE)
    if ana is None:
        return
    procedures = dict(Procedure.objects.filter(program=cast.residency).values_list("code", "pk"))
    for number, (code, days_ago, role, site, age_band, sex, verified) in enumerate(ANA_CASES):
        entry, created = caselog_entry_record(
            learner=ana,
            procedure_id=procedures[code],
            performed_on=today - dt.timedelta(days=days_ago),
            role=role,
            supervisor_id=grace.pk,
            age_band=age_band,
            sex=sex,
            site=site,
            client_token=_id("case", number),
        )
        if created and verified:
            caselog_entry_verify(entry=entry, by=grace)

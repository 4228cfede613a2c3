"""A person with rows through every relation to the user model, as learner and as colleague.

Dana is a resident (a learner in one program) who also teaches and coaches in another, which
is how one person comes to hold rows of every kind. `test_coverage` erases her and checks the
outcome against `privacy.policy`; it fails first if some rule has no row here, so a new
relation needs a line in this file as well as a rule.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from accounts.services import api_token_create
from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    AssessmentResponse,
    AssessmentVersion,
    AssessNowCode,
    AssessNowLink,
    CheckIn,
    FeedbackRequest,
    FeedbackResponse,
    Rotation,
    ScheduledRotation,
    SelfAssessment,
    TeachingEvaluation,
)
from assessments.services.forms import shipped_forms_ensure
from assessments.summaries.monthly import monthly_summaries_rebuild
from assessments.summaries.periods import period_summaries_rebuild
from assessments.summaries.programs import program_summaries_rebuild
from assessments.tests.factories import on_shipped_form
from caselog.models import CaseLogEntry, Procedure
from coaching.models import (
    ActionItem,
    CoachingRelationship,
    Comment,
    CommentRevision,
    Meeting,
    Thread,
)
from committee.models import ConsensusRating, EntrustmentDecision, LearnerReview
from core.models import FormSubmission
from cpd.models import CpdActivity, LicensingCycle
from cpd.tests.factories import built_in_credit_type
from credentials.services import credential_issue_for_decision, issuer_key_rotate
from equity.models import (
    AssessorSignal,
    CharacteristicCategory,
    CharacteristicOption,
    CharacteristicUse,
)
from equity.services import characteristic_record
from groups.services import (
    feedback_answer_record,
    feedback_request_create,
    group_create,
    group_goal_adopt,
    group_goal_create,
    group_invitation_accept,
    group_invite,
    group_item_share,
    post_create,
)
from handovers.models import Handover
from learning.models import FhirSource, PractitionerLink, Recommendation, UpcomingVisit, VisitDigest
from learning.tests.factories import LearningResourceFactory
from notifications.models import Digest, Notification, NotificationPreference
from portfolio.counts import evidence_counts_add
from portfolio.models import (
    AccessLog,
    Evidence,
    Goal,
    ImportedRecord,
    LearnerProfile,
    PortfolioTransfer,
    ShareGrant,
    TimelineEntry,
)
from portfolio.tests.factories import framework_with_tree
from programs.models import InstitutionRole, PracticeStage, ReviewPeriod
from programs.services import invitation_accept, invitation_create
from sso.models import ScimUser
from tests import factories
from xapi.models import Statement
from xapi.services.clients import lrs_client_create
from xapi.services.incoming import incoming_dismiss
from xapi.services.statements import statements_store
from xapi.validation import Rules


@dataclass
class DanaWorld:
    dana: User
    colleague: User  # coaches and rates Dana; directs her program
    mentee: User  # a learner Dana rates and coaches
    evidence: Evidence
    export: PortfolioTransfer
    signed_review: LearnerReview
    draft_review: LearnerReview
    comment_on_mentee: Comment
    mentee_meeting: Meeting
    open_request_to_dana: AssessmentRequest
    dana_read: AccessLog


def build_dana_world() -> DanaWorld:
    framework, leaves = framework_with_tree()
    resident_program = factories.ProgramFactory(name="Internal Medicine Residency")
    student_program = factories.ProgramFactory(name="Medical School", stage="ume")
    for program in (resident_program, student_program):
        program.frameworks.add(framework)

    dana = factories.UserFactory(email="dana@example.org", display_name="Dana Okafor")
    colleague = factories.UserFactory(email="colleague@example.org", display_name="Dr Reyes")
    mentee = factories.UserFactory(email="mentee@example.org", display_name="Sam Student")
    factories.EnrollmentFactory(learner=dana, program=resident_program, training_year=3)
    factories.EnrollmentFactory(learner=mentee, program=student_program)
    factories.ProgramRoleFactory(user=colleague, program=resident_program, role="director")
    factories.ProgramRoleFactory(user=colleague, program=student_program, role="director")
    factories.ProgramRoleFactory(user=dana, program=student_program, role="faculty")
    factories.ProgramRoleFactory(user=dana, program=student_program, role="coach")
    InstitutionRole.objects.create(institution=student_program.institution, user=dana)

    # Invitations: one Dana sent (which also writes her into the audit log), one she accepted.
    invitation_create(
        program=student_program, by=dana, email="new.student@example.org", role="coach"
    )
    invitation_accept(
        invitation=invitation_create(
            program=resident_program, by=colleague, email=dana.email, role="faculty"
        ),
        user=dana,
    )

    # Signing in and the admin site.
    api_token_create(user=dana, name="script")
    FormSubmission.objects.create(user=dana, token=uuid.uuid4(), url="/portfolio/goals/1/")
    Authenticator.objects.create(user=dana, type=Authenticator.Type.TOTP, data={"secret": "x"})
    SocialAccount.objects.create(user=dana, provider="northbridge", uid="dana@northbridge.edu")
    ScimUser.objects.create(
        institution=resident_program.institution, user=dana, user_name=dana.email
    )
    group = Group.objects.create(name="Curriculum office")
    dana.groups.add(group)
    dana.user_permissions.add(Permission.objects.get(codename="view_user"))
    LogEntry.objects.create(
        user=dana,
        content_type=ContentType.objects.get_for_model(Group),
        object_id=str(group.pk),
        object_repr=group.name,
        action_flag=ADDITION,
    )
    LogEntry.objects.create(
        user=colleague,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(dana.pk),
        object_repr=dana.email,
        action_flag=ADDITION,
    )

    # Notifications.
    Notification.objects.create(recipient=dana, kind="comment", title="A comment")
    Digest.objects.create(recipient=dana, kind="daily", period_start=dt.date(2025, 9, 1))
    NotificationPreference.objects.create(user=dana, kind="comment", frequency="daily")

    # Ratings: hers, of her, by her.
    leaf = leaves[0]
    checkin = CheckIn.objects.create(learner=dana)
    SelfAssessment.objects.create(
        learner=dana,
        competency=leaf,
        level=Decimal("3"),
        assessed_on=dt.date(2025, 9, 1),
        checkin=checkin,
        note="I felt ready.",
    )
    milestones_form = shipped_forms_ensure()[AssessmentForm.Rates.MILESTONES]
    of_dana = Assessment.objects.create(
        **on_shipped_form(
            {
                "assessor": colleague,
                "learner": dana,
                "competency": leaf,
                "level": Decimal("3"),
                "observed_on": dt.date(2025, 9, 10),
                "went_well": "Clear plan.",
                "program": resident_program,
            }
        )
    )
    AssessmentResponse.objects.create(assessment=of_dana, learner=dana, text="Thank you!")
    AssessmentRequest.objects.create(
        learner=dana,
        assessor=colleague,
        program=resident_program,
        framework=framework,
        note="Clinic on Tuesday?",
        form=milestones_form,
    )
    by_dana = Assessment.objects.create(
        **on_shipped_form(
            {
                "assessor": dana,
                "learner": mentee,
                "competency": leaf,
                "level": Decimal("2"),
                "observed_on": dt.date(2025, 9, 12),
                "went_well": "Good history.",
                "program": student_program,
            }
        )
    )
    AssessmentForm.objects.create(
        name="Dana's clinic form", program=student_program, created_by=dana
    )
    AssessmentVersion.objects.create(
        assessment=by_dana,
        version=1,
        kind="original",
        level=Decimal("2"),
        observed_on=by_dana.observed_on,
        recorded_by=dana,
    )
    open_request = AssessmentRequest.objects.create(
        learner=mentee,
        assessor=dana,
        program=student_program,
        framework=framework,
        form=milestones_form,
    )
    # Rotation blocks: Dana's own, and one she supervises.
    clinic = Rotation.objects.create(
        program=resident_program, name="Clinic", form=milestones_form, framework=framework
    )
    wards = Rotation.objects.create(
        program=student_program, name="Wards", form=milestones_form, framework=framework
    )
    ScheduledRotation.objects.create(
        rotation=clinic,
        learner=dana,
        supervisor=colleague,
        start_on=dt.date(2025, 9, 1),
        end_on=dt.date(2025, 9, 28),
    )
    ScheduledRotation.objects.create(
        rotation=wards,
        learner=mentee,
        supervisor=dana,
        start_on=dt.date(2025, 9, 1),
        end_on=dt.date(2025, 9, 28),
    )
    # Assess me now, multi-source feedback, teaching evaluations.
    code = AssessNowCode.objects.create(
        learner=dana,
        program=resident_program,
        framework=framework,
        form=milestones_form,
        expires_at=timezone.now(),
    )
    mentee_code = AssessNowCode.objects.create(
        learner=mentee,
        program=student_program,
        framework=framework,
        form=milestones_form,
        expires_at=timezone.now(),
    )
    AssessNowLink.objects.create(code=mentee_code, user=dana, expires_at=timezone.now())
    AssessNowLink.objects.create(code=code, user=colleague, expires_at=timezone.now())
    about_dana = FeedbackRequest.objects.create(
        learner=dana,
        program=resident_program,
        asked_by=dana,
        rater_type="nurse",
        expires_at=timezone.now(),
        responded_at=timezone.now(),
    )
    FeedbackResponse.objects.create(
        request=about_dana, learner=dana, rater_type="nurse", form_code="msf-colleague"
    )
    FeedbackRequest.objects.create(
        learner=mentee,
        program=student_program,
        asked_by=dana,
        rater_type="patient",
        expires_at=timezone.now(),
    )
    TeachingEvaluation.objects.create(
        author=dana, program=resident_program, subject="teacher", teacher=colleague
    )
    TeachingEvaluation.objects.create(
        author=mentee, program=student_program, subject="teacher", teacher=dana
    )
    periods = [
        ReviewPeriod.objects.create(
            program=resident_program, name=name, start_date=start, end_date=end
        )
        for name, start, end in [
            ("Autumn 2025", dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
            ("Spring 2026", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        ]
    ]

    # Portfolio.
    LearnerProfile.objects.create(learner=dana, headline="PGY-3, internal medicine")
    TimelineEntry.objects.create(
        learner=dana,
        institution_name="Old School",
        program_name="MD",
        stage="ume",
        start_date=dt.date(2019, 8, 1),
    )
    evidence = Evidence.objects.create(learner=dana, kind="document", title="Certificate")
    evidence.file.save("upload.pdf", ContentFile(b"%PDF-1.4 dana"), save=True)
    evidence_counts_add(learner_id=dana.pk, by_kind={"document": 1})  # as the services count
    goal = Goal.objects.create(
        learner=dana, title="Lead rounds", measure="Twice a week", target_date=dt.date(2026, 6, 1)
    )
    ShareGrant.objects.create(learner=dana, grantee=colleague, share_goals=True)
    mentee_goal = Goal.objects.create(
        learner=mentee, title="Take a history", measure="Observed", target_date=dt.date(2026, 6, 1)
    )
    grant_to_dana = ShareGrant.objects.create(learner=mentee, grantee=dana, share_goals=True)
    AccessLog.objects.create(
        learner=dana,
        viewer=colleague,
        viewer_name="Dr Reyes",
        scope="goals",
        item_type="goal",
        item_id=goal.pk,
        action="view",
    )
    dana_read = AccessLog.objects.create(
        learner=mentee,
        viewer=dana,
        viewer_name="Dana Okafor",
        grant=grant_to_dana,
        scope="goals",
        item_type="goal",
        item_id=mentee_goal.pk,
        action="view",
    )
    ImportedRecord.objects.create(learner=dana, kind="assessment", payload={"level": 2})
    export = PortfolioTransfer.objects.create(
        learner=dana, direction="export", status="done", finished_at=timezone.now()
    )
    export.archive.save(f"transfers/{dana.pk}/export.zip", ContentFile(b"PK zip"), save=True)

    # Coaching: Dana coached by her colleague, and coaching her mentee.
    own = CoachingRelationship.objects.create(
        learner=dana, coach=colleague, origin="learner", status="active", proposed_by=dana
    )
    Meeting.objects.create(
        relationship=own,
        learner=dana,
        coach=colleague,
        starts_at=timezone.now(),
        private_notes="About Dana",
    )
    own_thread = Thread.objects.create(
        learner=dana, participant=colleague, target_type="goal", goal=goal
    )
    Comment.objects.create(
        thread=own_thread, author=dana, body="My plan", body_html="<p>My plan</p>"
    )
    coaching = CoachingRelationship.objects.create(
        learner=mentee, coach=dana, origin="program", status="active", proposed_by=dana
    )
    CoachingRelationship.objects.create(
        learner=mentee,
        coach=colleague,
        origin="learner",
        status="ended",
        ended_by=dana,
        ended_at=timezone.now(),
    )
    mentee_meeting = Meeting.objects.create(
        relationship=coaching,
        learner=mentee,
        coach=dana,
        starts_at=timezone.now() - dt.timedelta(days=2),
        status="held",
        shared_notes="We agreed on a plan.",
        private_notes="Sam seemed tired.",
        private_notes_html="<p>Sam seemed tired.</p>",
    )
    ActionItem.objects.create(meeting=mentee_meeting, learner=mentee, title="Read", created_by=dana)
    own_meeting = own.meetings.get()
    ActionItem.objects.create(
        meeting=own_meeting, learner=dana, title="Practise", created_by=colleague
    )
    mentee_thread = Thread.objects.create(
        learner=mentee, participant=dana, target_type="goal", goal=mentee_goal
    )
    comment = Comment.objects.create(
        thread=mentee_thread,
        author=dana,
        body="Well done",
        body_html="<p>Well done</p>",
        edited_at=timezone.now(),
    )
    CommentRevision.objects.create(
        comment=comment, body="Well dune", body_html="<p>Well dune</p>", written_at=timezone.now()
    )

    # Committee: reviews of Dana (one signed off, one in committee), and her committee work.
    signed = LearnerReview.objects.create(
        period=periods[0],
        learner=dana,
        training_year=3,
        status="signed_off",
        signed_off_by=colleague,
        signed_off_at=timezone.now(),
        summary="On track.",
        learner_response="I agree.",
        responded_at=timezone.now(),
    )
    ConsensusRating.objects.create(
        review=signed,
        competency=leaf,
        level=Decimal("3"),
        rationale="Observed",
        recorded_by=colleague,
    )
    draft = LearnerReview.objects.create(period=periods[1], learner=dana, training_year=3)
    student_period = ReviewPeriod.objects.create(
        program=student_program,
        name="Autumn",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2025, 12, 31),
    )
    mentee_review = LearnerReview.objects.create(
        period=student_period,
        learner=mentee,
        training_year=1,
        status="signed_off",
        signed_off_by=dana,
        signed_off_at=timezone.now(),
    )
    ConsensusRating.objects.create(
        review=mentee_review,
        competency=leaf,
        level=Decimal("2"),
        rationale="Fine",
        recorded_by=dana,
    )

    # Entrustment decisions: of Dana (one in committee, one signed off), and by her.
    signed_off = {"status": "signed_off", "signed_off_at": timezone.now()}
    dana_entrusted = EntrustmentDecision.objects.create(
        program=resident_program,
        learner=dana,
        competency=leaf,
        level=Decimal("3"),
        decided_on=dt.date(2025, 12, 1),
        rationale="Consistent",
        is_current=False,
        recorded_by=colleague,
        signed_off_by=colleague,
        **signed_off,
    )
    EntrustmentDecision.objects.create(
        program=resident_program,
        learner=dana,
        competency=leaf,
        level=Decimal("4"),
        decided_on=dt.date(2026, 2, 1),
        rationale="Still in committee",
        recorded_by=colleague,
    )
    EntrustmentDecision.objects.create(
        program=student_program,
        learner=mentee,
        competency=leaf,
        level=Decimal("2"),
        decided_on=dt.date(2025, 12, 1),
        rationale="Steady",
        recorded_by=dana,
        signed_off_by=dana,
        **signed_off,
    )

    # Learning.
    Recommendation.objects.create(
        learner=dana, resource=LearningResourceFactory(), rating="helpful"
    )
    source = FhirSource.objects.create(
        name="Dana's clinic", learner=dana, base_url="https://ehr.example.org/fhir", token="secret"
    )
    PractitionerLink.objects.create(learner=dana, source=source, practitioner_id="pr-1")
    UpcomingVisit.objects.create(
        learner=dana,
        resource_type="Appointment",
        resource_id="a1",
        visit_date=dt.date(2026, 1, 5),
        status="booked",
    )
    VisitDigest.objects.create(learner=dana, visit_date=dt.date(2026, 1, 5))

    # xAPI: a statement about Dana from a client, which she dismissed.
    lrs = lrs_client_create(name="Simulation centre")
    [statement_id] = statements_store(
        client=lrs.client,
        statements=[
            {
                "actor": {"mbox": "mailto:dana@example.org"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                "object": {"id": "https://sim.example.org/stations/1"},
            }
        ],
        parts=[],
        rules=Rules(v2=False),
    )
    incoming_dismiss(learner=dana, statement=Statement.objects.get(statement_id=statement_id))

    # Practice, CPD and handovers: the person's own.
    PracticeStage.objects.create(learner=dana, specialty="Medicine", start_date=dt.date(2020, 7, 1))
    CpdActivity.objects.create(
        learner=dana,
        occurred_on=dt.date(2025, 3, 1),
        title="Sepsis update",
        credit_type=built_in_credit_type("ama-pra-category-1"),
        hours=Decimal("2"),
    )
    LicensingCycle.objects.create(
        learner=dana,
        name="State licence",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2027, 1, 1),
        credits_required=Decimal("50"),
    )
    Handover.objects.create(learner=dana, program=student_program, note="For the school")
    # A learning group Dana started, with her colleague in it.
    group = group_create(creator=dana, name="Rounds club")
    invitation = group_invite(group=group, inviter=dana, email=colleague.email)
    group_invitation_accept(membership=invitation)
    group_goal = group_goal_create(
        group=group, creator=dana, title="Present a case", measure="Once a month"
    )
    group_goal_adopt(
        group_goal=group_goal, learner=dana, target_date=dt.date(2100, 1, 1), show_progress=True
    )
    group_item_share(group=group, learner=dana, evidence_public_id=evidence.public_id)
    post_create(group=group, author=dana, body="Welcome, **all**")
    feedback_request_create(group=group, asker=dana, topic="My grand rounds talk")
    theirs = feedback_request_create(group=group, asker=colleague, topic="Their talk")
    feedback_answer_record(
        request=theirs, responder=dana, went_well="Clear", to_improve="Slower", clarity=4
    )

    # The case log: Dana's own entry, and a student's case she supervised and verified.
    intubation = Procedure.objects.create(
        program=resident_program, code="AIR-01", name="Intubation", minimum=5
    )
    suturing = Procedure.objects.create(program=student_program, code="SKN-01", name="Suturing")
    CaseLogEntry.objects.create(
        learner=dana,
        procedure=intubation,
        performed_on=dt.date(2025, 3, 2),
        role=CaseLogEntry.Role.PERFORMED,
        supervisor=colleague,
        age_band=CaseLogEntry.AgeBand.ADULT,
        sex=CaseLogEntry.Sex.FEMALE,
    )
    CaseLogEntry.objects.create(
        learner=mentee,
        procedure=suturing,
        performed_on=dt.date(2025, 3, 3),
        role=CaseLogEntry.Role.ASSISTED,
        supervisor=dana,
        age_band=CaseLogEntry.AgeBand.CHILD,
        sex=CaseLogEntry.Sex.MALE,
        verified_at=timezone.now(),
        verified_by=dana,
    )
    # The credential her signed-off entrustment decision earned.
    issuer_key_rotate(institution=resident_program.institution)
    credential_issue_for_decision(decision=dana_entrusted)
    # Equity: her own answer, a report that counted it, and her private assessor signal.
    category = CharacteristicCategory.objects.create(
        institution=resident_program.institution, key="first-generation", name="First generation"
    )
    CharacteristicOption.objects.create(category=category, key="yes", label="Yes")
    characteristic_record(learner=dana, category_key="first-generation", option_key="yes")
    CharacteristicUse.objects.create(learner=dana, category=category, scope="Internal Medicine")
    AssessorSignal.objects.create(assessor=dana, program=student_program, category=category)
    # The rows above were written without the services, which keep these exact as they go.
    monthly_summaries_rebuild()
    period_summaries_rebuild()
    program_summaries_rebuild()

    return DanaWorld(
        dana=dana,
        colleague=colleague,
        mentee=mentee,
        evidence=evidence,
        export=export,
        signed_review=signed,
        draft_review=draft,
        comment_on_mentee=comment,
        mentee_meeting=mentee_meeting,
        open_request_to_dana=open_request,
        dana_read=dana_read,
    )


def rows_of(rule: Any, person_id: int) -> set[int]:
    return set(rule.rows(person_id).values_list("pk", flat=True))

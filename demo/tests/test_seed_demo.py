from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import User
from assessments.models import Assessment, CheckIn, SelfAssessment
from assessments.selectors.feedback import feedback_summary_for, teaching_results_for
from demo import extras, groups, world
from demo.seed import seed_demo
from demo.tests.demo_frameworks import make_demo_frameworks
from frameworks.models import Competency
from portfolio.dashboard import learner_dashboard
from portfolio.figures import trajectory_series
from programs.models import Cohort, Enrollment, Expectation, Institution, Program, ProgramRole

TODAY = dt.date(2026, 3, 15)
DEMO_EMAILS = f"@{world.EMAIL_DOMAIN}"
COUNTED = (
    User,
    EmailAddress,
    Institution,
    Program,
    Cohort,
    Enrollment,
    ProgramRole,
    Expectation,
    CheckIn,
    SelfAssessment,
    Assessment,
    *extras.EXTRA_MODELS,
)


@pytest.fixture
def frameworks(db):
    return make_demo_frameworks()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _snapshot() -> dict[str, list[tuple]]:
    return {
        "enrollments": sorted(
            Enrollment.objects.values_list(
                "learner__email",
                "program__slug",
                "cohort__name",
                "training_year",
                "start_date",
                "end_date",
            )
        ),
        "self": sorted(
            SelfAssessment.objects.values_list(
                "learner__email", "competency__code", "assessed_on", "level", "note"
            )
        ),
        "assessments": sorted(
            Assessment.objects.values_list(
                "learner__email",
                "assessor__email",
                "competency__code",
                "observed_on",
                "level",
                "went_well",
                "next_step",
                "context",
            )
        ),
    }


def _wipe_demo() -> None:
    User.objects.filter(email__endswith=DEMO_EMAILS).delete()
    Institution.objects.filter(slug=world.INSTITUTION_SLUG).delete()


def _recent_faculty_means(since: dt.date) -> dict[str, float]:
    levels: dict[str, list[Decimal]] = defaultdict(list)
    for email, level in Assessment.objects.filter(
        observed_on__gte=since, competency__framework__code="im-milestones"
    ).values_list("learner__email", "level"):
        levels[email].append(level)
    return {email: float(statistics.mean(values)) for email, values in levels.items()}


def test_seeding_twice_creates_nothing_the_second_time(frameworks):
    first = seed_demo(today=TODAY, learners=8)
    counts = _counts()

    second = seed_demo(today=TODAY, learners=8)

    assert first.created and not second.created
    assert counts["Enrollment"] > 8 and counts["Assessment"] > 0
    assert _counts() == counts


def test_command_says_already_seeded_on_a_second_run_and_still_prints_logins(frameworks):
    call_command("seed_demo", learners=4, stdout=StringIO())
    counts = _counts()
    out = StringIO()

    call_command("seed_demo", learners=4, stdout=out)

    assert "already seeded" in out.getvalue()
    assert "ana.rivera@demo.continuum.test" in out.getvalue()
    assert _counts() == counts


def test_seeding_the_same_day_again_gives_the_same_learners_and_levels(frameworks):
    seed_demo(today=TODAY, learners=6, extras=False)
    before = _snapshot()
    _wipe_demo()
    assert Enrollment.objects.count() == 0

    seed_demo(today=TODAY, learners=6, extras=False)

    assert before["self"] and before["assessments"]
    assert _snapshot() == before


def test_a_learner_gets_the_same_ratings_whatever_the_roster_size(frameworks):
    seed_demo(today=TODAY, learners=4, extras=False)
    small = [
        row for row in _snapshot()["assessments"] if row[0] == "ana.rivera@demo.continuum.test"
    ]
    _wipe_demo()

    seed_demo(today=TODAY, learners=12, extras=False)

    large = [
        row for row in _snapshot()["assessments"] if row[0] == "ana.rivera@demo.continuum.test"
    ]
    assert small and small == large


def test_every_rating_is_a_value_of_its_framework_scale_on_a_ratable_competency(frameworks):
    seed_demo(today=TODAY, learners=10, extras=False)
    allowed = {code: framework.scale.allowed_values() for code, framework in frameworks.items()}
    domains = set(Competency.objects.filter(children__isnull=False).values_list("pk", flat=True))

    rows = list(
        SelfAssessment.objects.values_list("competency__framework__code", "competency_id", "level")
    ) + list(
        Assessment.objects.values_list("competency__framework__code", "competency_id", "level")
    )

    assert len(rows) > 100
    assert {code for code, _, _ in rows} == {"im-milestones", "aamc-core-epas"}
    for code, competency_id, level in rows:
        assert level in allowed[code], (code, level)
        assert competency_id not in domains
    epa_levels = {level for code, _, level in rows if code == "aamc-core-epas"}
    assert all(level == level.to_integral_value() for level in epa_levels)


def test_every_self_check_in_rates_each_ratable_competency_once_on_one_day(frameworks):
    seed_demo(today=TODAY, learners=4, extras=False)
    ratable = {
        code: framework.competencies.filter(children__isnull=True).count()
        for code, framework in frameworks.items()
    }

    checkins = CheckIn.objects.select_related("framework").prefetch_related("items")
    assert checkins
    for checkin in checkins:
        items = list(checkin.items.all())
        assert len(items) == ratable[checkin.framework.code]
        assert len({item.competency_id for item in items}) == len(items)
        assert {item.assessed_on for item in items} == {checkin.created_at.date()}


def test_ratings_carry_the_dates_they_were_made_and_none_lie_in_the_future(frameworks):
    seed_demo(today=TODAY, learners=6, extras=False)

    for observed_on, created_at in Assessment.objects.values_list("observed_on", "created_at"):
        assert created_at.date() == observed_on <= TODAY
    for assessed_on, created_at in SelfAssessment.objects.values_list("assessed_on", "created_at"):
        assert created_at.date() == assessed_on <= TODAY
    oldest = min(SelfAssessment.objects.values_list("assessed_on", flat=True))
    assert TODAY - oldest > dt.timedelta(days=365 * 2)


def test_command_prints_logins_that_work_with_the_demo_password(frameworks):
    out = StringIO()

    call_command("seed_demo", learners=4, stdout=out)

    printed = out.getvalue()
    assert world.DEMO_PASSWORD in printed
    expected = [
        "ana.rivera@demo.continuum.test",
        "nadia.haddad@demo.continuum.test",
        "grace.whitfield@demo.continuum.test",
        "margaret.okafor@demo.continuum.test",
        "admin@demo.continuum.test",
    ]
    for email in expected:
        assert email in printed
        user = User.objects.get(email=email)
        assert user.check_password(world.DEMO_PASSWORD)
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True)
    admin = User.objects.get(email=world.ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(email="ana.rivera@demo.continuum.test").is_staff


def test_default_roster_is_sixty_learners_across_both_programs_and_all_years():
    roster = world.build_roster()

    assert len(roster) == 60
    assert len({spec.email for spec in roster}) == 60
    by_year: dict[tuple[str, int], int] = defaultdict(int)
    for spec in roster:
        by_year[(spec.program, spec.training_year)] += 1
    assert by_year == {
        **{(world.SCHOOL, year): 6 for year in (1, 2, 3, 4)},
        **{(world.RESIDENCY, year): 12 for year in (1, 2, 3)},
    }
    ana = roster[0]
    assert (ana.email, ana.program, ana.training_year) == (
        "ana.rivera@demo.continuum.test",
        world.RESIDENCY,
        2,
    )
    assert ana.school_graduate and not ana.at_risk
    maya = next(spec for spec in roster if spec.program == world.SCHOOL)
    assert (maya.email, maya.training_year) == ("maya.goldstein@demo.continuum.test", 3)
    assert sum(spec.at_risk for spec in roster) >= 4
    assert sum(spec.school_graduate for spec in roster) >= 6


def test_emails_are_plain_ascii_first_dot_last():
    assert world.email_for("Liam O'Connor") == "liam.oconnor@demo.continuum.test"
    assert world.email_for("Tomás Herrera") == "tomas.herrera@demo.continuum.test"
    assert world.email_for("Fatima Al-Sayed") == "fatima.al-sayed@demo.continuum.test"


def test_full_demo_has_sixty_learners_staff_in_every_role_and_believable_ratings(frameworks):
    result = seed_demo(today=TODAY, extras=False)

    assert result.created
    current = Enrollment.objects.current()
    assert current.count() == 60
    assert current.filter(program__slug=world.SCHOOL).count() == 24
    assert current.filter(program__slug=world.RESIDENCY).count() == 36
    assert (
        Cohort.objects.filter(program__slug=world.SCHOOL, enrollments__end_date=None)
        .distinct()
        .count()
        == 4
    )
    assert Cohort.objects.filter(program__slug=world.RESIDENCY).count() == 3

    for slug in (world.SCHOOL, world.RESIDENCY):
        roles = list(ProgramRole.objects.filter(program__slug=slug).values_list("role", flat=True))
        assert roles.count("director") == 1
        assert roles.count("coordinator") == 1
        assert roles.count("committee") == 2
        assert roles.count("faculty") >= 5
        assert roles.count("coach") >= 2
    assert ProgramRole.objects.filter(
        program__slug=world.RESIDENCY,
        role="director",
        user__email="margaret.okafor@demo.continuum.test",
    ).exists()
    residency = Program.objects.get(slug=world.RESIDENCY)
    assert set(residency.frameworks.values_list("code", flat=True)) == {"im-milestones"}
    assert residency.stage == Program.Stage.GME and residency.duration_years == 3

    # Faculty ratings over the last half year rise with the training year.
    recent = _recent_faculty_means(TODAY - dt.timedelta(days=180))
    by_year: dict[int, list[float]] = defaultdict(list)
    for email, year in current.filter(program=residency).values_list(
        "learner__email", "training_year"
    ):
        by_year[year].append(recent[email])
    medians = {year: statistics.median(means) for year, means in by_year.items()}
    assert medians[1] + 0.5 < medians[2] and medians[2] + 0.5 < medians[3]

    # The at-risk residents sit clearly below their classmates.
    for spec in world.build_roster():
        if spec.program == world.RESIDENCY and spec.at_risk:
            assert recent[spec.email] < medians[spec.training_year] - 0.4, spec.name

    # Self-ratings sit above faculty ratings for some residents and below for others.
    gaps = []
    for spec in world.build_roster():
        if spec.program != world.RESIDENCY:
            continue
        own = SelfAssessment.objects.filter(
            learner__email=spec.email, competency__framework__code="im-milestones"
        ).values_list("level", flat=True)
        gaps.append(
            float(statistics.mean(own))
            - statistics.mean(
                float(level)
                for level in Assessment.objects.filter(
                    learner__email=spec.email, competency__framework__code="im-milestones"
                ).values_list("level", flat=True)
            )
        )
    assert max(gaps) > 0.2 and min(gaps) < -0.2


def test_a_resident_carries_an_ended_medical_school_enrollment_into_residency(frameworks):
    seed_demo(today=TODAY, learners=4, extras=False)

    school, residency = Enrollment.objects.filter(
        learner__email="ana.rivera@demo.continuum.test"
    ).order_by("start_date")

    assert school.program.slug == world.SCHOOL and school.end_date is not None
    assert school.training_year == 4
    assert residency.program.slug == world.RESIDENCY and residency.end_date is None
    assert school.end_date < residency.start_date
    assert residency.training_year_on(residency.start_date, today=TODAY) == 1
    assert school.training_year_on(school.start_date) == 1
    rated = set(
        Assessment.objects.filter(learner=school.learner).values_list(
            "competency__framework__code", flat=True
        )
    )
    assert rated == {"aamc-core-epas", "im-milestones"}


def test_seed_demo_runs_load_frameworks_first_when_frameworks_are_missing(db, monkeypatch):
    calls = []

    def fake_call_command(name, *args, **kwargs):
        calls.append(name)
        make_demo_frameworks()

    monkeypatch.setattr("demo.management.commands.seed_demo.call_command", fake_call_command)

    call_command("seed_demo", learners=2, stdout=StringIO())

    assert calls == ["load_frameworks"]
    assert Enrollment.objects.exists()


def test_seed_demo_fails_with_a_clear_message_when_frameworks_stay_missing(db, monkeypatch):
    monkeypatch.setattr("demo.management.commands.seed_demo.call_command", lambda *a, **k: None)

    with pytest.raises(CommandError) as error:
        call_command("seed_demo", learners=2, stdout=StringIO())

    assert "im-milestones" in str(error.value) and "load_frameworks" in str(error.value)
    assert not Institution.objects.exists()


def test_learner_count_outside_the_roster_is_refused(frameworks):
    with pytest.raises(CommandError):
        call_command("seed_demo", learners=61, stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("seed_demo", learners=1, stdout=StringIO())
    assert not Institution.objects.exists()


def test_existing_demo_user_is_reused_not_duplicated(frameworks):
    existing = User.objects.create_user("ana.rivera@demo.continuum.test", "their-own-password")
    EmailAddress.objects.create(user=existing, email=existing.email, verified=False, primary=True)

    seed_demo(today=TODAY, learners=2, extras=False)

    assert User.objects.filter(email="ana.rivera@demo.continuum.test").count() == 1
    assert Enrollment.objects.filter(learner=existing).count() == 2
    address = EmailAddress.objects.get(email=existing.email)
    assert address.verified and address.primary
    assert existing.check_password("their-own-password")


def test_seed_demo_runs_on_the_shipped_frameworks_loaded_by_load_frameworks(db):
    out = StringIO()

    call_command("seed_demo", learners=4, stdout=out)

    assert "running load_frameworks first" in out.getvalue()
    assert not world.missing_frameworks()
    milestones = Competency.objects.filter(framework__code="im-milestones").ratable()
    rated = set(
        SelfAssessment.objects.filter(competency__framework__code="im-milestones").values_list(
            "competency_id", flat=True
        )
    )
    assert rated == set(milestones.values_list("pk", flat=True))
    scale = milestones.first().framework.scale.allowed_values()
    assert (
        set(Assessment.objects.filter(competency__in=milestones).values_list("level", flat=True))
        <= scale
    )


def test_demo_learner_signs_in_through_the_login_form_with_the_demo_password(frameworks, client):
    seed_demo(today=TODAY, learners=2, extras=False)

    response = client.post(
        reverse("account_login"),
        {"login": "ana.rivera@demo.continuum.test", "password": world.DEMO_PASSWORD},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        User.objects.get(email="ana.rivera@demo.continuum.test").pk
    )


# --- The extras: every part of the product has something to show ---------------------------

ANA = "ana.rivera@demo.continuum.test"
NADIA = "nadia.haddad@demo.continuum.test"
GRACE = "grace.whitfield@demo.continuum.test"


@pytest.fixture
def seeded(frameworks):
    """A 12-learner demo with the extras, laid out around the real today (as `make run` does)."""
    seed_demo(learners=12)
    return {u.email: u for u in User.objects.filter(email__in=[ANA, NADIA, GRACE])}


def test_running_the_command_again_adds_no_row_to_any_table_the_extras_write(frameworks):
    call_command("seed_demo", learners=12, stdout=StringIO())
    counts = _counts()
    out = StringIO()

    call_command("seed_demo", learners=12, stdout=out)

    assert all(counts[model.__name__] > 0 for model in extras.EXTRA_MODELS), counts
    assert _counts() == counts
    assert "already seeded" in out.getvalue()


def test_extras_are_added_to_a_world_seeded_before_they_existed(frameworks):
    seed_demo(learners=8, extras=False)

    result = seed_demo(learners=8)

    assert result.created
    assert result.counts["goals"] > 0 and "learners" not in result.counts
    from portfolio.models import Goal

    assert Goal.objects.filter(learner__email=ANA).exists()


def test_ana_has_clinic_visits_from_tomorrow_with_refreshers_and_no_patient_details(seeded):
    from django.utils import timezone

    from learning.models import UpcomingVisit
    from learning.selectors import next_clinic_refreshers

    today = timezone.localdate()
    visits = list(UpcomingVisit.objects.filter(learner=seeded[ANA]))
    clinic = next_clinic_refreshers(learner=seeded[ANA])

    assert len(visits) == 6
    assert min(v.visit_date for v in visits) == today + dt.timedelta(days=1)
    assert max(v.visit_date for v in visits) <= today + dt.timedelta(days=6)
    assert clinic is not None and clinic.day == today + dt.timedelta(days=1)
    assert len(clinic.items) >= 2
    codes = {(r["system"].rsplit("/", 1)[-1], r["code"]) for v in visits for r in v.reasons}
    assert ("icd-10-cm", "E11.65") in codes and ("sct", "84114007") in codes
    assert "Patient" not in str([(v.reasons, v.reason_text) for v in visits])


def test_the_student_has_a_clinic_with_refreshers_for_her_stage(seeded):
    from learning.selectors import next_clinic_refreshers

    maya = User.objects.get(email="maya.goldstein@demo.continuum.test")
    clinic = next_clinic_refreshers(learner=maya)

    assert clinic is not None and clinic.items
    assert all(
        not match.resource.stages or "ume" in match.resource.stages for match in clinic.items
    )


def test_ana_gave_feedback_on_recommendations_and_one_became_evidence(seeded):
    from learning.models import Recommendation
    from portfolio.models import Evidence

    feedback = Recommendation.objects.filter(learner=seeded[ANA])

    assert feedback.count() == 3
    assert feedback.filter(rating=Recommendation.Rating.HELPFUL).exists()
    assert feedback.filter(dismissed_at__isnull=False).exists()
    done = feedback.get(done_at__isnull=False)
    assert Evidence.objects.filter(pk=done.evidence_id, learner=seeded[ANA]).exists()


def test_ana_portfolio_has_evidence_a_private_reflection_and_goals_one_of_them_overdue(seeded):
    from portfolio.models import Evidence, Goal

    ana = seeded[ANA]
    kinds = list(Evidence.objects.filter(learner=ana).values_list("kind", flat=True))
    goals = list(Goal.objects.filter(learner=ana).prefetch_related("progress_notes"))

    assert kinds.count("case_log") >= 2 and "certificate" in kinds and "reflection" in kinds
    # Her own three or four, and the study group's goal she adopted (demo/groups.py).
    adopted = [goal for goal in goals if goal.title == groups.GOAL_TITLE]
    own = [goal for goal in goals if goal.title != groups.GOAL_TITLE]
    assert len(adopted) == 1
    assert 3 <= len(own) <= 4
    assert sum(goal.is_overdue() for goal in own) == 1
    assert all(goal.progress_notes.all() for goal in own)
    assert all(goal.competencies.exists() for goal in own)


def test_ana_shares_checkins_and_goals_with_her_coach_but_not_her_reflections(seeded):
    from portfolio.models import Scope
    from portfolio.selectors import access_for, evidence_visible_to

    access = access_for(viewer=seeded[NADIA], learner=seeded[ANA])
    visible = evidence_visible_to(viewer=seeded[NADIA], learner=seeded[ANA])

    assert access.scopes == {Scope.CHECKINS, Scope.GOALS}
    # Of her evidence Nadia sees only the one item Ana shared with the study group, where
    # Nadia is a guest (demo/groups.py), and never a reflection.
    assert visible.count() == 1
    assert not visible.filter(kind="reflection").exists()


def test_ana_shares_with_the_residency_committee(seeded):
    from portfolio.models import ShareGrant

    grant = ShareGrant.objects.active().get(learner=seeded[ANA], program__isnull=False)

    assert grant.program.slug == world.RESIDENCY
    assert grant.share_checkins and grant.share_goals and not grant.share_reflections


def test_nadia_coaches_ana_and_five_more_with_a_held_meeting_a_next_one_and_a_thread(seeded):
    from django.utils import timezone

    from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting
    from notifications.models import Notification

    nadia, ana = seeded[NADIA], seeded[ANA]
    active = CoachingRelationship.objects.active().filter(coach=nadia)
    meetings = Meeting.objects.filter(coach=nadia, learner=ana)
    held = meetings.get(status=Meeting.Status.HELD)
    comments = Comment.objects.filter(thread__learner=ana, thread__participant=nadia)

    assert active.filter(learner=ana).exists()
    assert active.filter(program__slug=world.RESIDENCY).count() >= 5
    assert held.starts_at < timezone.now() and held.shared_notes and held.private_notes
    assert ActionItem.objects.filter(meeting=held).count() == 2
    assert ActionItem.objects.filter(meeting=held, status="proposed").count() == 1
    assert meetings.upcoming().count() == 1
    assert comments.count() == 3
    assert set(comments.values_list("thread__target_type", flat=True)) == {"goal"}
    for person in (ana, nadia, seeded[GRACE]):
        assert Notification.objects.filter(recipient=person).unread().exists(), person.email


def test_demo_accounts_get_notifications_in_the_inbox_and_no_email(seeded, mailoutbox):
    from notifications.models import Notification

    assert Notification.objects.count() > 20
    assert not Notification.objects.email_pending().exists()
    assert mailoutbox == []


def test_grace_has_open_and_overdue_requests_and_ana_one_open_and_one_answered(seeded):
    from django.utils import timezone

    from assessments.models import AssessmentRequest

    today = timezone.localdate()
    grace, ana = seeded[GRACE], seeded[ANA]
    inbox = AssessmentRequest.objects.filter(assessor=grace)
    mine = AssessmentRequest.objects.filter(learner=ana, assessor=grace)

    assert inbox.open().count() >= 5
    assert inbox.overdue(today).count() >= 2
    assert inbox.open().values("learner").distinct().count() >= 5
    open_one = mine.open().get()
    assert today < open_one.due_on <= today + dt.timedelta(days=7)
    answered = mine.get(status=AssessmentRequest.Status.COMPLETED)
    assert Assessment.objects.filter(request=answered, assessor=grace).count() == 2
    assert inbox.filter(status=AssessmentRequest.Status.DECLINED).exists()


def test_the_residency_has_a_signed_off_past_period_and_an_open_current_one(seeded):
    from django.utils import timezone

    from committee.models import ConsensusRating, LearnerReview
    from programs.models import ReviewPeriod

    today = timezone.localdate()
    residency = Program.objects.get(slug=world.RESIDENCY)
    past = ReviewPeriod.objects.filter(program=residency, end_date__lt=today).first()
    current = ReviewPeriod.objects.get(
        program=residency, start_date__lte=today, end_date__gte=today
    )
    signed = LearnerReview.objects.filter(period=past, status="signed_off")
    ratable = Competency.objects.ratable().filter(framework__in=residency.frameworks.all())

    assert signed.count() >= 3
    for review in signed:
        rated = ConsensusRating.objects.current().filter(review=review)
        assert set(rated.values_list("competency_id", flat=True)) == set(
            ratable.values_list("pk", flat=True)
        )
    assert signed.get(learner=seeded[ANA]).learner_response
    draft = LearnerReview.objects.get(period=current, learner=seeded[ANA])
    assert draft.status == "draft" and draft.ratings.exists()


def test_director_sees_the_heatmap_and_ana_sees_her_review_and_before_clinic(seeded, client):
    from committee.models import LearnerReview

    residency = Program.objects.get(slug=world.RESIDENCY)
    review = LearnerReview.objects.get(learner=seeded[ANA], status="signed_off")

    client.force_login(User.objects.get(email="margaret.okafor@demo.continuum.test"))
    heatmap = client.get(reverse("program-heatmap", args=[residency.pk]))
    client.force_login(seeded[ANA])
    upcoming = client.get(reverse("learning-upcoming"))
    mine = client.get(reverse("my-review-detail", args=[review.pk]))

    assert heatmap.status_code == 200 and "Ana Rivera" in heatmap.content.decode()
    assert upcoming.status_code == 200 and "Before your clinic" in upcoming.content.decode()
    assert mine.status_code == 200 and extras.ANA_RESPONSE in mine.content.decode()


def test_ana_can_see_her_coach_and_committee_reading_what_she_shares(seeded):
    from portfolio.models import AccessLog

    log = AccessLog.objects.filter(learner=seeded[ANA])
    viewers = set(log.values_list("viewer__email", flat=True))

    assert {NADIA, "helen.achebe@demo.continuum.test"} <= viewers
    assert log.filter(viewer=seeded[NADIA], action="view", item_type="goal").exists()
    assert not log.filter(scope="reflections").exists()
    assert log.dates("at", "day").count() >= 3


def test_after_the_move_to_residency_the_schools_epa_history_keeps_its_codes(frameworks, client):
    """Ana's school rated her on the EPAs; her residency uses the milestones. Her history keeps
    the EPAs' codes (no "?" in the table, no null code in the API), and each framework's mean
    line rests on its own ratings only: the two scales are never averaged together."""
    seed_demo(today=TODAY, learners=4, extras=False)
    ana = User.objects.get(email="ana.rivera@demo.continuum.test")
    dashboard = learner_dashboard(learner=ana)

    rows = dashboard.monthly_rows()
    assert rows and "?" not in {row.code for row in rows}
    epa_codes = set(
        Competency.objects.filter(framework__code="aamc-core-epas").values_list("code", flat=True)
    )
    assert epa_codes & {row.code for row in rows}
    client.force_login(ana)
    trajectory = client.get("/api/v1/me/dashboard/").json()["trajectory"]
    assert trajectory and all(point["code"] for point in trajectory)
    page = client.get(reverse("progress-monthly")).content.decode()
    assert "<td>?</td>" not in page

    by_framework = {row.code for row in dashboard.framework_monthly_rows()}
    assert len(by_framework) == 2
    checked = set()
    for row in dashboard.framework_monthly_rows():
        ratings = Assessment.objects.filter(
            learner=ana,
            observed_on__year=row.month.year,
            observed_on__month=row.month.month,
            competency__framework__name=row.code,
        )
        if row.rated_by == "Assessors":
            levels = list(ratings.values_list("level", flat=True))
            assert row.n == len(levels), row
            assert row.mean == (sum(levels) / len(levels)).quantize(Decimal("0.01"))
            checked.add(row.code)
    assert checked == by_framework  # both frameworks' assessor means were recomputed
    series = trajectory_series(dashboard)
    assert len(series["frameworks"]) == 2
    assert {c["framework"] for c in series["competencies"]} == {
        f["id"] for f in series["frameworks"]
    }


def test_the_demo_institution_gets_one_issuer_key_and_its_sign_offs_earn_credentials(seeded):
    """`make run` issues credentials without a manual `credentials_issuer_key` run: the seed
    gives the institution a key once, and a decision signed off in the demo is verifiable."""
    from credentials.models import IssuerKey
    from credentials.services import credential_verify
    from credentials.tests.factories import issued

    institution = Institution.objects.get(slug=world.INSTITUTION_SLUG)
    keys = list(IssuerKey.objects.filter(institution=institution).values_list("key_id", flat=True))
    call_command("seed_demo", learners=12, stdout=StringIO())
    assert (
        list(IssuerKey.objects.filter(institution=institution).values_list("key_id", flat=True))
        == keys
    )
    assert len(keys) == 1

    residency = Program.objects.get(institution=institution, slug=world.RESIDENCY)
    director = User.objects.get(email__startswith="margaret.okafor")
    credential = issued(program=residency, learner=seeded[ANA], by=director)

    assert IssuerKey.objects.filter(institution=institution).count() == 1
    assert credential_verify(document=credential.document).verified


def test_ana_logged_cases_on_the_residency_list_and_grace_verified_some(seeded):
    from caselog.models import CaseLogEntry, Procedure

    ana, grace = seeded[ANA], seeded[GRACE]
    entries = CaseLogEntry.objects.filter(learner=ana)

    assert Procedure.objects.filter(program__slug=world.RESIDENCY, minimum__gt=0).count() >= 5
    assert entries.count() == len(extras.ANA_CASES)
    assert set(entries.values_list("supervisor", flat=True)) == {grace.pk}
    assert entries.filter(verified_by=grace).count() == 3
    assert not entries.exclude(verified_at__isnull=True).filter(verified_by__isnull=True).exists()


def test_ana_sees_patients_and_nurses_feedback_and_grace_her_teaching_results(seeded):
    ana = User.objects.get(email=extras.ANA)
    summary = feedback_summary_for(learner=ana)
    assert [g.key for g in summary.groups] == ["nurse", "patient"]
    assert summary.waiting == 2  # one peer, one other staff member: pooled, under 3
    grace = User.objects.get(email=extras.GRACE)
    (result,) = teaching_results_for(teacher=grace)
    assert result.n >= 5

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
from frameworks.models import Competency
from programs import demo
from programs.models import Cohort, Enrollment, Expectation, Institution, Program, ProgramRole
from programs.tests.demo_frameworks import make_demo_frameworks

TODAY = dt.date(2026, 3, 15)
DEMO_EMAILS = f"@{demo.EMAIL_DOMAIN}"
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
    Institution.objects.filter(slug=demo.INSTITUTION_SLUG).delete()


def _recent_faculty_means(since: dt.date) -> dict[str, float]:
    levels: dict[str, list[Decimal]] = defaultdict(list)
    for email, level in Assessment.objects.filter(
        observed_on__gte=since, competency__framework__code="im-milestones"
    ).values_list("learner__email", "level"):
        levels[email].append(level)
    return {email: float(statistics.mean(values)) for email, values in levels.items()}


def test_seeding_twice_creates_nothing_the_second_time(frameworks):
    first = demo.seed_demo(today=TODAY, learners=8)
    counts = _counts()

    second = demo.seed_demo(today=TODAY, learners=8)

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
    demo.seed_demo(today=TODAY, learners=6)
    before = _snapshot()
    _wipe_demo()
    assert Enrollment.objects.count() == 0

    demo.seed_demo(today=TODAY, learners=6)

    assert before["self"] and before["assessments"]
    assert _snapshot() == before


def test_a_learner_gets_the_same_ratings_whatever_the_roster_size(frameworks):
    demo.seed_demo(today=TODAY, learners=4)
    small = [
        row for row in _snapshot()["assessments"] if row[0] == "ana.rivera@demo.continuum.test"
    ]
    _wipe_demo()

    demo.seed_demo(today=TODAY, learners=12)

    large = [
        row for row in _snapshot()["assessments"] if row[0] == "ana.rivera@demo.continuum.test"
    ]
    assert small and small == large


def test_every_rating_is_a_value_of_its_framework_scale_on_a_ratable_competency(frameworks):
    demo.seed_demo(today=TODAY, learners=10)
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
    demo.seed_demo(today=TODAY, learners=4)
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
    demo.seed_demo(today=TODAY, learners=6)

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
    assert demo.DEMO_PASSWORD in printed
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
        assert user.check_password(demo.DEMO_PASSWORD)
        assert EmailAddress.objects.filter(user=user, email=email, verified=True, primary=True)
    admin = User.objects.get(email=demo.ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.get(email="ana.rivera@demo.continuum.test").is_staff


def test_default_roster_is_sixty_learners_across_both_programs_and_all_years():
    roster = demo.build_roster()

    assert len(roster) == 60
    assert len({spec.email for spec in roster}) == 60
    by_year: dict[tuple[str, int], int] = defaultdict(int)
    for spec in roster:
        by_year[(spec.program, spec.training_year)] += 1
    assert by_year == {
        **{(demo.SCHOOL, year): 6 for year in (1, 2, 3, 4)},
        **{(demo.RESIDENCY, year): 12 for year in (1, 2, 3)},
    }
    ana = roster[0]
    assert (ana.email, ana.program, ana.training_year) == (
        "ana.rivera@demo.continuum.test",
        demo.RESIDENCY,
        2,
    )
    assert ana.school_graduate and not ana.at_risk
    assert sum(spec.at_risk for spec in roster) >= 4
    assert sum(spec.school_graduate for spec in roster) >= 6


def test_emails_are_plain_ascii_first_dot_last():
    assert demo.email_for("Liam O'Connor") == "liam.oconnor@demo.continuum.test"
    assert demo.email_for("Tomás Herrera") == "tomas.herrera@demo.continuum.test"
    assert demo.email_for("Fatima Al-Sayed") == "fatima.al-sayed@demo.continuum.test"


def test_full_demo_has_sixty_learners_staff_in_every_role_and_believable_ratings(frameworks):
    result = demo.seed_demo(today=TODAY)

    assert result.created
    current = Enrollment.objects.current()
    assert current.count() == 60
    assert current.filter(program__slug=demo.SCHOOL).count() == 24
    assert current.filter(program__slug=demo.RESIDENCY).count() == 36
    assert (
        Cohort.objects.filter(program__slug=demo.SCHOOL, enrollments__end_date=None)
        .distinct()
        .count()
        == 4
    )
    assert Cohort.objects.filter(program__slug=demo.RESIDENCY).count() == 3

    for slug in (demo.SCHOOL, demo.RESIDENCY):
        roles = list(ProgramRole.objects.filter(program__slug=slug).values_list("role", flat=True))
        assert roles.count("director") == 1
        assert roles.count("coordinator") == 1
        assert roles.count("committee") == 2
        assert roles.count("faculty") >= 5
        assert roles.count("coach") >= 2
    assert ProgramRole.objects.filter(
        program__slug=demo.RESIDENCY,
        role="director",
        user__email="margaret.okafor@demo.continuum.test",
    ).exists()
    residency = Program.objects.get(slug=demo.RESIDENCY)
    assert set(residency.frameworks.values_list("code", flat=True)) == {
        "im-milestones",
        "acgme-harmonized",
    }
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
    for spec in demo.build_roster():
        if spec.program == demo.RESIDENCY and spec.at_risk:
            assert recent[spec.email] < medians[spec.training_year] - 0.4, spec.name

    # Self-ratings sit above faculty ratings for some residents and below for others.
    gaps = []
    for spec in demo.build_roster():
        if spec.program != demo.RESIDENCY:
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
    demo.seed_demo(today=TODAY, learners=4)

    school, residency = Enrollment.objects.filter(
        learner__email="ana.rivera@demo.continuum.test"
    ).order_by("start_date")

    assert school.program.slug == demo.SCHOOL and school.end_date is not None
    assert school.training_year == 4
    assert residency.program.slug == demo.RESIDENCY and residency.end_date is None
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

    monkeypatch.setattr("programs.management.commands.seed_demo.call_command", fake_call_command)

    call_command("seed_demo", learners=2, stdout=StringIO())

    assert calls == ["load_frameworks"]
    assert Enrollment.objects.exists()


def test_seed_demo_fails_with_a_clear_message_when_frameworks_stay_missing(db, monkeypatch):
    monkeypatch.setattr("programs.management.commands.seed_demo.call_command", lambda *a, **k: None)

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

    demo.seed_demo(today=TODAY, learners=2)

    assert User.objects.filter(email="ana.rivera@demo.continuum.test").count() == 1
    assert Enrollment.objects.filter(learner=existing).count() == 2
    address = EmailAddress.objects.get(email=existing.email)
    assert address.verified and address.primary
    assert existing.check_password("their-own-password")


def test_seed_demo_runs_on_the_shipped_frameworks_loaded_by_load_frameworks(db):
    out = StringIO()

    call_command("seed_demo", learners=4, stdout=out)

    assert "running load_frameworks first" in out.getvalue()
    assert not demo.missing_frameworks()
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
    demo.seed_demo(today=TODAY, learners=2)

    response = client.post(
        reverse("account_login"),
        {"login": "ana.rivera@demo.continuum.test", "password": demo.DEMO_PASSWORD},
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        User.objects.get(email="ana.rivera@demo.continuum.test").pk
    )

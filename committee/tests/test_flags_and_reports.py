import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from assessments.tests.factories import AssessmentFactory
from committee import services
from committee.flags import MODEL_MIN_N, flags_build, history_model_build
from committee.heatmap import Filters
from committee.models import LearnerReview
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import CohortFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def residency(program):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    return program, leaves


def test_flags_explain_themselves_with_the_numbers(residency, learner):
    program, leaves = residency
    period = ReviewPeriodFactory(program=program)  # July–December
    for level in ("0.5", "0.5"):
        AssessmentFactory(
            learner=learner,
            competency=leaves[0],
            level=Decimal(level),
            observed_on=dt.date(2025, 8, 1),
        )
    AssessmentFactory(
        learner=learner, competency=leaves[1], level=Decimal(0), observed_on=dt.date(2025, 8, 1)
    )

    flags = flags_build(program=program, filters=Filters(period.pk), today=dt.date(2025, 9, 1))

    (flagged,) = flags.learners
    below, thin = flagged.reasons
    assert below.kind == "below-expected"
    assert below.text == (
        "median 0.5 of 2 ratings; expected 1.5 by the period's end in PGY-1 (1 below)."
    )
    assert thin.kind == "needs-evidence"
    assert thin.text == (
        "median 0 of 1 rating; expected 1.5 by the period's end in PGY-1 (1.5 below). "
        "One rating is not a pattern: ask for more observations before drawing a conclusion."
    )
    assert flagged.flag_count == 1
    assert flags.needs_evidence == []
    assert flags.model.active is False


def test_a_learner_whose_only_concern_rests_on_one_rating_is_listed_apart(
    residency, learner, client, director
):
    program, leaves = residency
    period = ReviewPeriodFactory(program=program)
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal(0), observed_on=dt.date(2025, 8, 1)
    )

    flags = flags_build(program=program, filters=Filters(period.pk), today=dt.date(2025, 9, 1))

    assert flags.learners == []
    (thin,) = flags.needs_evidence
    assert [r.kind for r in thin.reasons] == ["needs-evidence"]
    client.force_login(director)
    data = client.get(f"/api/v1/programs/{program.pk}/flags/?period={period.pk}").json()
    assert data["learners"] == []
    assert data["needs_evidence"][0]["learner_id"] == learner.pk
    page = client.get(f"/programs/{program.pk}/flags/?period={period.pk}").content.decode()
    assert "Needs more evidence" in page
    assert "One rating is not a pattern" in page


def graduate_history(program, leaves, cohorts: int, per_cohort: int, pgy1_level: str, final: str):
    """Graduated cohorts whose learners were at `pgy1_level` at the end of PGY-1 and ended at
    `final` in their last review."""
    year_end = ReviewPeriodFactory(
        program=program,
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2020, 6, 30),
        is_year_end=True,
    )
    last = ReviewPeriodFactory(
        program=program,
        start_date=dt.date(2022, 1, 1),
        end_date=dt.date(2022, 6, 30),
        is_year_end=True,
    )
    for c in range(cohorts):
        cohort = CohortFactory(program=program, start_year=2019 - c)
        for _ in range(per_cohort):
            person = EnrollmentFactory(
                program=program, cohort=cohort, end_date=dt.date(2022, 6, 30)
            ).learner
            first = LearnerReview.objects.create(period=year_end, learner=person, training_year=1)
            final_review = LearnerReview.objects.create(
                period=last, learner=person, training_year=3
            )
            for leaf in leaves:
                first.ratings.create(competency=leaf, level=Decimal(pgy1_level), rationale="r")
                final_review.ratings.create(competency=leaf, level=Decimal(final), rationale="r")


def test_history_model_needs_two_graduated_cohorts(residency):
    program, leaves = residency
    graduate_history(program, leaves, cohorts=1, per_cohort=6, pgy1_level="1.5", final="3.5")
    assert history_model_build(program=program).active is False


def test_history_model_flags_with_its_n_and_share(residency, learner):
    program, leaves = residency
    graduate_history(program, leaves, cohorts=2, per_cohort=3, pgy1_level="1.5", final="3.5")
    period = ReviewPeriodFactory(
        program=program,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
        is_year_end=True,
    )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("1.5"), observed_on=dt.date(2026, 2, 1)
    )

    flags = flags_build(program=program, filters=Filters(period.pk), today=dt.date(2026, 2, 1))

    model_reasons = [r for f in flags.learners for r in f.reasons if r.kind == "history-model"]
    (reason,) = model_reasons
    assert reason.n == 12 >= MODEL_MIN_N and reason.probability == 1.0
    assert "Of 12 ratings of this program's graduates" in reason.text
    assert "12 (100%) ended below level 4" in reason.text


def test_consensus_csv_has_one_row_per_learner_and_sub_competency(
    residency, learner, director, client
):
    program, leaves = residency
    period = ReviewPeriodFactory(program=program)
    review = services.learner_review_open(period=period, enrollment=learner.enrollments.get())
    services.consensus_record(
        review=review,
        competency_id=leaves[0].pk,
        level=Decimal("2.5"),
        rationale="=SUM(A1)",
        by=director,
    )
    client.force_login(director)

    response = client.get(f"/programs/{program.pk}/periods/{period.pk}/consensus.csv")

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert [(r["learner_email"], r["competency_code"], r["level"]) for r in rows] == [
        (learner.email, leaves[0].code, "2.5"),
        (learner.email, leaves[1].code, ""),
    ]
    assert rows[0]["rationale"] == "'=SUM(A1)"  # never a live formula in a spreadsheet
    assert rows[0]["review_status"] == "draft"


def test_printable_packet_has_a_print_stylesheet_and_no_forms(residency, learner, director, client):
    program, _ = residency
    period = ReviewPeriodFactory(program=program)
    client.force_login(director)

    page = client.get(
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/print/"
    ).content.decode()

    assert "css/programs.css" in page and "<form" not in page
    assert learner.name in page

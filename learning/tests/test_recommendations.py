"""Gap-driven recommendations: ranking, reasons in words, feedback, and evidence in one click."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Assessment, SelfAssessment
from frameworks.models import Competency
from learning.models import Recommendation
from learning.ranking import rank_resources
from learning.services import recommendation_evidence_create, recommendation_feedback
from learning.tests.factories import LearningResourceFactory, im_framework
from portfolio.models import Evidence
from programs.models import Enrollment, Expectation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


@pytest.fixture
def im(program):
    framework = im_framework()
    program.frameworks.add(framework)
    return {c.code: c for c in Competency.objects.filter(framework=framework)}


@pytest.fixture
def pgy2(learner):
    Enrollment.objects.filter(learner=learner).update(training_year=2)  # expected level 3.0
    return learner


def rate(learner, competency, level, *, by=None, days_ago=10):
    on = timezone.localdate() - dt.timedelta(days=days_ago)
    if by is None:
        return SelfAssessment.objects.create(
            learner=learner, competency=competency, level=Decimal(level), assessed_on=on
        )
    return Assessment.objects.create(
        assessor=by, learner=learner, competency=competency, level=Decimal(level), observed_on=on
    )


def titles(items):
    return [item.resource.title for item in items]


def test_the_reason_names_the_gap_in_words_from_the_assessors_latest_rating(pgy2, im, assessor):
    rate(pgy2, im["PC3"], "3", days_ago=60)
    rate(pgy2, im["PC3"], "1.5", by=assessor, days_ago=5)
    LearningResourceFactory(title="Reasoning", competencies=[im["PC3"]])

    [item] = rank_resources(learner=pgy2)

    assert item.reason == "PC3 is 1.5 levels below what is expected in PGY-2"
    assert item.details[0].startswith("PC3: latest 1.5 from an assessor on ")
    assert item.details[0].endswith("expected 3.")


def test_an_expectation_of_the_program_overrides_the_default_level(pgy2, im, program):
    Expectation.objects.create(
        program=program, competency=im["PC3"], training_year=2, level=Decimal("2.5")
    )
    rate(pgy2, im["PC3"], "1.5")
    LearningResourceFactory(competencies=[im["PC3"]])

    [item] = rank_resources(learner=pgy2)

    assert item.reason == "PC3 is 1 level below what is expected in PGY-2"


def test_bigger_gaps_rank_first_and_met_competencies_are_not_recommended(pgy2, im):
    rate(pgy2, im["PC3"], "1")  # 2 below
    rate(pgy2, im["MK2"], "2.5")  # 0.5 below
    rate(pgy2, im["ICS1"], "3.5")  # above expected
    LearningResourceFactory(title="Small gap", competencies=[im["MK2"]])
    LearningResourceFactory(title="Big gap", competencies=[im["PC3"]])
    LearningResourceFactory(title="Already there", competencies=[im["ICS1"]])
    LearningResourceFactory(title="Not yet rated", competencies=[im["PROF1"]])

    items = rank_resources(learner=pgy2)

    assert titles(items) == ["Big gap", "Small gap", "Not yet rated"]
    assert items[2].reason == "You have not rated PROF1 yet; level 3 is expected in PGY-2"


def test_level_fit_stage_and_freshness_shape_the_order(pgy2, im):
    rate(pgy2, im["PC3"], "1.5")
    today = timezone.localdate()
    LearningResourceFactory(
        title="Pitched right", competencies=[im["PC3"]], level_min=1, level_max=2.5
    )
    LearningResourceFactory(
        title="Too advanced", competencies=[im["PC3"]], level_min=4, level_max=5
    )
    LearningResourceFactory(
        title="Old content",
        competencies=[im["PC3"]],
        reviewed_on=today - dt.timedelta(days=365 * 4),
    )
    LearningResourceFactory(
        title="For practising physicians", competencies=[im["PC3"]], stages=["cpd"]
    )

    items = rank_resources(learner=pgy2)

    assert titles(items) == ["Pitched right", "Old content", "Too advanced"]
    assert "Pitched at levels 4–5, 2.5 from your level." in items[2].details
    assert any(d.startswith("Content last reviewed") for d in items[1].details)


def test_done_dismissed_and_not_relevant_resources_are_left_out(pgy2, im):
    rate(pgy2, im["PC3"], "1")
    done, dismissed, irrelevant, _kept = (
        LearningResourceFactory(title=t, competencies=[im["PC3"]])
        for t in ("Done", "Dismissed", "Irrelevant", "Kept")
    )
    recommendation_feedback(learner=pgy2, resource=done, action="done")
    recommendation_feedback(learner=pgy2, resource=dismissed, action="dismiss")
    recommendation_feedback(learner=pgy2, resource=irrelevant, action="not_relevant")

    assert titles(rank_resources(learner=pgy2)) == ["Kept"]

    recommendation_feedback(learner=pgy2, resource=dismissed, action="restore")
    assert titles(rank_resources(learner=pgy2)) == ["Dismissed", "Kept"]


def test_feedback_moves_resources_on_the_same_competency(pgy2, im):
    rate(pgy2, im["PC3"], "2")  # 1 below
    rate(pgy2, im["MK2"], "2")  # 1 below
    on_pc3 = LearningResourceFactory(title="A on PC3", competencies=[im["PC3"]])
    on_mk2 = LearningResourceFactory(title="B on MK2", competencies=[im["MK2"]])
    other_mk2 = LearningResourceFactory(title="C on MK2", competencies=[im["MK2"]])
    assert titles(rank_resources(learner=pgy2)) == ["A on PC3", "B on MK2", "C on MK2"]

    recommendation_feedback(learner=pgy2, resource=other_mk2, action="helpful")
    items = rank_resources(learner=pgy2)
    assert titles(items) == ["B on MK2", "C on MK2", "A on PC3"]
    assert "Ranked higher: you found similar resources helpful." in items[0].details

    recommendation_feedback(learner=pgy2, resource=other_mk2, action="not_relevant")
    items = rank_resources(learner=pgy2)
    assert titles(items) == ["A on PC3", "B on MK2"]
    assert "Ranked lower: you marked similar resources not relevant." in items[1].details
    assert on_pc3 and on_mk2


def test_a_learner_without_an_enrollment_gets_no_recommendations(im):
    from tests.factories import UserFactory

    LearningResourceFactory(competencies=[im["PC3"]])

    assert rank_resources(learner=UserFactory()) == []


def test_feedback_rejects_unknown_actions(pgy2):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        recommendation_feedback(learner=pgy2, resource=LearningResourceFactory(), action="love")


def test_done_becomes_evidence_in_one_step_and_only_once(pgy2, im):
    resource = LearningResourceFactory(
        title="Heart failure basics",
        competencies=[im["PC4"], im["MK2"]],
        url="https://example.org/hf",
        cme_credit=Decimal("0.5"),
    )

    evidence = recommendation_evidence_create(
        learner=pgy2, resource=resource, reason="PC4 is 1 level below"
    )
    again = recommendation_evidence_create(learner=pgy2, resource=resource)

    assert again.pk == evidence.pk
    assert Evidence.objects.filter(learner=pgy2).count() == 1
    assert evidence.title == "Completed: Heart failure basics"
    assert evidence.kind == Evidence.Kind.CERTIFICATE
    assert evidence.credit_hours == Decimal("0.5")
    assert "Why it was recommended: PC4 is 1 level below" in evidence.body
    assert sorted(c.code for c in evidence.competencies.all()) == ["MK2", "PC4"]
    feedback = Recommendation.objects.get(learner=pgy2, resource=resource)
    assert feedback.done_at is not None and feedback.evidence_id == evidence.pk


def test_evidence_leaves_off_competencies_of_frameworks_the_learner_does_not_use(pgy2, im):
    foreign = im_framework(code="other-fw")
    resource = LearningResourceFactory(
        competencies=[im["PC4"], foreign.competencies.get(code="PC4")]
    )

    evidence = recommendation_evidence_create(learner=pgy2, resource=resource)

    assert [c.pk for c in evidence.competencies.all()] == [im["PC4"].pk]
    assert evidence.kind == Evidence.Kind.EXTERNAL


@pytest.mark.parametrize("size", [5, 60])
def test_ranking_takes_nine_queries_whatever_the_catalogue_size(
    pgy2, im, size, django_assert_num_queries
):
    codes = list(im)
    for n in range(size):
        LearningResourceFactory(
            competencies=[im[codes[n % len(codes)]], im[codes[(n + 1) % len(codes)]]]
        )
    rate(pgy2, im["PC3"], "1")
    recommendation_feedback(
        learner=pgy2, resource=LearningResourceFactory(competencies=[im["PC3"]]), action="helpful"
    )

    # 1 current enrollments, 2 their programs' frameworks, 3 the practice stage (none open),
    # 4 linked competencies with latest levels, 5 program expectations, 6 the learner's
    # feedback, 7 candidate resources, 8 their competencies with frameworks, 9 their codes.
    with django_assert_num_queries(9):
        items = rank_resources(learner=pgy2, limit=None)
    assert len(items) == size + 1


def test_one_gap_takes_at_most_three_places_before_the_others_get_a_turn(pgy2, im):
    rate(pgy2, im["PC3"], "1")  # 2 below
    rate(pgy2, im["MK2"], "2.5")  # 0.5 below
    for n in range(5):
        LearningResourceFactory(title=f"PC3 {n}", competencies=[im["PC3"]])
    LearningResourceFactory(title="MK2", competencies=[im["MK2"]])

    assert titles(rank_resources(learner=pgy2)) == [
        "PC3 0",
        "PC3 1",
        "PC3 2",
        "MK2",
        "PC3 3",
        "PC3 4",
    ]

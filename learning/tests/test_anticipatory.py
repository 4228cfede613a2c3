"""Anticipatory learning: from upcoming visits' reasons to short refreshers before clinic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

from learning.anticipatory import anticipatory_learning
from learning.models import ICD10CM, SNOMED
from learning.services import recommendation_feedback
from learning.tests.factories import CodePairFactory, LearningResourceFactory, UpcomingVisitFactory
from tests.factories import CompetencyFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + dt.timedelta(days=1)


def visit(learner, *codes, text="", day=TOMORROW, **kwargs):
    reasons = [
        {"system": SNOMED if system == "snomed" else ICD10CM, "code": code, "display": ""}
        for system, code in (c.split(":") for c in codes)
    ]
    return UpcomingVisitFactory(
        learner=learner, reasons=reasons, reason_text=text, visit_date=day, **kwargs
    )


def titles(day):
    return [m.resource.title for m in day.items]


def test_exact_then_parent_then_paired_codes_then_nothing_by_text(learner):
    LearningResourceFactory(title="Exact E11.65", codes=["icd10cm:E11.65"])
    LearningResourceFactory(title="Parent E11", codes=["icd10cm:E11"])
    LearningResourceFactory(title="Paired SNOMED", codes=["snomed:44054006"])
    LearningResourceFactory(title="Diabetes by words", keywords="diabetes")
    LearningResourceFactory(title="Unrelated", codes=["icd10cm:I10"])
    CodePairFactory(snomed_code="44054006", icd10_code="E11.9")
    visit(learner, "icd10cm:E11.65", text="Type 2 diabetes with hyperglycemia")

    [day] = anticipatory_learning(learner=learner)

    assert titles(day) == ["Exact E11.65", "Parent E11", "Paired SNOMED"]
    exact, parent, paired = day.items
    weekday = date_format(TOMORROW, "l")
    assert day.headline == f"Before your clinic on {weekday}: three short refreshers"
    assert exact.reason.startswith(f"Your visit on {weekday}")
    assert exact.reason.endswith("this matches ICD-10-CM E11.65 exactly.")
    assert parent.reason.endswith("this covers ICD-10-CM E11, which includes E11.65.")
    assert paired.reason.endswith(
        "this is about SNOMED CT 44054006, listed as the same condition as ICD-10-CM E11.9."
    )


def test_a_snomed_reason_finds_icd_coded_resources_through_the_pairs(learner):
    LearningResourceFactory(title="Hypertension (ICD)", codes=["icd10cm:I10"])
    LearningResourceFactory(title="Heart failure (ICD category)", codes=["icd10cm:I50"])
    CodePairFactory(snomed_code="38341003", icd10_code="I10")
    CodePairFactory(snomed_code="84114007", icd10_code="I50.9")
    visit(learner, "snomed:38341003")
    visit(learner, "snomed:84114007")

    [day] = anticipatory_learning(learner=learner)

    assert sorted(titles(day)) == ["Heart failure (ICD category)", "Hypertension (ICD)"]
    assert day.visit_count == 2


def test_text_is_the_fallback_when_no_code_matches(learner):
    LearningResourceFactory(title="Measuring blood pressure", keywords="hypertension")
    LearningResourceFactory(title="Asthma control", keywords="asthma")
    visit(learner, text="High blood pressure")

    [day] = anticipatory_learning(learner=learner)

    assert titles(day) == ["Measuring blood pressure"]
    assert day.items[0].reason.endswith("shares the words blood, pressure.")
    assert day.headline.endswith(": one short refresher")


def test_short_resources_come_first_and_a_resource_for_many_visits_says_so(learner):
    LearningResourceFactory(title="Long module", codes=["icd10cm:I10"], duration_minutes=60)
    LearningResourceFactory(title="Quick refresher", codes=["icd10cm:I10"], duration_minutes=8)
    visit(learner, "icd10cm:I10")
    visit(learner, "icd10cm:I10")

    [day] = anticipatory_learning(learner=learner)

    assert titles(day) == ["Quick refresher", "Long module"]
    assert day.items[0].reason.endswith("Helps with 2 visits that day.")


def test_done_dismissed_other_stage_and_inactive_resources_are_left_out(learner):
    done = LearningResourceFactory(title="Done", codes=["icd10cm:I10"])
    LearningResourceFactory(title="For students only", codes=["icd10cm:I10"], stages=["ume"])
    LearningResourceFactory(title="Retired", codes=["icd10cm:I10"], is_active=False)
    LearningResourceFactory(title="Left", codes=["icd10cm:I10"])
    recommendation_feedback(learner=learner, resource=done, action="done")
    visit(learner, "icd10cm:I10")

    [day] = anticipatory_learning(learner=learner)

    assert titles(day) == ["Left"]


def test_days_are_grouped_and_cancelled_past_or_other_learners_visits_ignored(
    learner, other_learner
):
    LearningResourceFactory(title="Hypertension", codes=["icd10cm:I10"])
    visit(learner, "icd10cm:I10", day=TOMORROW)
    visit(learner, "icd10cm:I10", day=TOMORROW + dt.timedelta(days=2))
    visit(learner, "icd10cm:I10", day=TOMORROW + dt.timedelta(days=3), status="cancelled")
    visit(learner, "icd10cm:I10", day=TOMORROW - dt.timedelta(days=3))
    visit(other_learner, "icd10cm:I10", day=TOMORROW + dt.timedelta(days=4))

    days = anticipatory_learning(learner=learner)

    assert [d.day for d in days] == [TOMORROW, TOMORROW + dt.timedelta(days=2)]


def test_a_clinic_day_without_matches_is_still_listed_with_no_items(learner):
    visit(learner, "icd10cm:Z00.00")

    [day] = anticipatory_learning(learner=learner)

    assert day.items == [] and day.visit_count == 1


@pytest.mark.parametrize("size", [3, 30])  # below MAX_VISITS_PER_DAY: every visit is matched
def test_matching_takes_a_fixed_number_of_queries(learner, size, django_assert_num_queries):
    competency = CompetencyFactory()
    for n in range(size):
        LearningResourceFactory(
            codes=["icd10cm:E11.9" if n % 2 else "snomed:44054006"],
            keywords="diabetes",
            competencies=[competency],
        )
        CodePairFactory(snomed_code=str(10000000 + n), icd10_code="E11.9")
        visit(learner, "icd10cm:E11.65" if n % 2 else "snomed:44054006")
    visit(learner, text="diabetes review")

    # 1 visits, 2 enrollment, 3 feedback, 4 code pairs, 5 resource codes with resources,
    # 6 resources for text matching (one visit had no codes); for the chosen resources:
    # 7 competencies, 8 their frameworks, 9 codes.
    with django_assert_num_queries(9):
        [day] = anticipatory_learning(learner=learner)
    assert len(day.items) == 3


def test_each_visit_gets_a_refresher_before_any_visit_gets_a_second(learner):
    for n in range(3):
        LearningResourceFactory(title=f"Diabetes {n}", codes=["icd10cm:E11.9"], duration_minutes=5)
    LearningResourceFactory(title="Hypertension", codes=["icd10cm:I10"], duration_minutes=15)
    LearningResourceFactory(title="Asthma", codes=["icd10cm:J45.909"], duration_minutes=15)
    visit(learner, "icd10cm:E11.9")
    visit(learner, "icd10cm:I10")
    visit(learner, "icd10cm:J45.909")

    [day] = anticipatory_learning(learner=learner)

    assert titles(day) == ["Diabetes 0", "Asthma", "Hypertension"]


def test_the_home_card_shows_the_next_clinic_that_has_refreshers(learner, rf):
    from django.template.loader import render_to_string

    from learning.selectors import next_clinic_refreshers

    LearningResourceFactory(title="Hypertension refresher", codes=["icd10cm:I10"])
    visit(learner, "icd10cm:Z00.00", day=TOMORROW)
    visit(learner, "icd10cm:I10", day=TOMORROW + dt.timedelta(days=2))

    clinic = next_clinic_refreshers(learner=learner)
    html = render_to_string("learning/_upcoming_card.html", {"next_clinic": clinic})

    assert clinic.day == TOMORROW + dt.timedelta(days=2)
    assert "Hypertension refresher" in html and clinic.headline in html
    assert render_to_string("learning/_upcoming_card.html", {"next_clinic": None}).strip() == ""

"""Assessment forms: a program builds them from parts and picks a scale; ratings keep their
scale, stay out of milestone summaries unless the form maps them, and a rating off the form's
scale is a clear 400 with nothing written."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    AssessmentVersion,
    MonthlyRatingSummary,
    PeriodRatingSummary,
)
from assessments.services.forms import LevelInput, assessment_form_create, shipped_forms_ensure
from assessments.services.observations import (
    RatingInput,
    assessment_revise,
    observation_record,
    observation_request_complete,
    observation_request_create,
)
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import ObsWorld, epa_framework
from frameworks.models import RatingScale
from frameworks.scales import shipped_scales_ensure
from portfolio.transfer import portfolio_document
from programs.models import ReviewPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _shipped(db):
    """Migrations install the shipped scales and forms; a transactional test elsewhere may have
    flushed them, so put them back as a fresh database has them."""
    shipped_scales_ensure()
    shipped_forms_ensure()


DAY = dt.date.today() - dt.timedelta(days=2)


def o_score_form(obs: ObsWorld, director, **extra) -> AssessmentForm:
    return assessment_form_create(
        program=obs.program,
        by=director,
        name=extra.pop("name", "Procedure O-SCORE"),
        rates="epa",
        scale="o-score",
        optional_prompts=["Case difficulty"],
        **extra,
    )


def record(obs: ObsWorld, form: AssessmentForm | None, level: str, **extra):
    return observation_record(
        assessor=obs.assessor,
        learner_id=obs.learner.pk,
        ratings=[RatingInput(obs.epas[0].pk, level)],
        went_well="Set up the field calmly and named each step.",
        next_step="Anticipate the next instrument before asking.",
        observed_on=DAY,
        submission_key=uuid.uuid4(),
        form_id=form.pk if form else None,
        **extra,
    ).assessments[0]


def test_the_shipped_scales_are_there_with_their_levels():
    scales = {s.code: s for s in RatingScale.objects.prefetch_related("levels")}
    assert [str(v.normalize()) for v in sorted(scales["o-score"].allowed_values())] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    chen = [level.label for level in scales["chen-entrustment"].levels.all()]
    assert chen == ["1a", "1b", "2a", "2b", "3a", "3b", "3c", "4", "5"]
    assert len(scales["zwisch"].allowed_values()) == 4
    assert all(level.anchor for s in scales.values() for level in s.levels.all())


def test_a_program_builds_an_o_score_form_and_an_assessor_rates_on_it(obs, director):
    form = o_score_form(obs, director)
    made = record(obs, form, "4", answers={"Case difficulty": "Moderate"})

    assert made.scale.code == "o-score"
    assert made.form == form
    assert made.level == Decimal("4")
    assert made.counted_level is None  # another scale, no mapping: left out
    assert made.answers == {"Case difficulty": "Moderate"}
    assert AssessmentVersion.objects.get(assessment=made).level == Decimal("4")


def test_a_rating_off_the_forms_scale_is_refused_and_nothing_is_written(obs, director):
    form = o_score_form(obs, director)
    before = Assessment.objects.count()
    for bad in ("0", "6", "2.5", "NaN", "three"):
        with pytest.raises(ValidationError) as caught:
            record(obs, form, bad)
        assert "not on the O-SCORE scale (1, 2, 3, 4, 5)" in str(caught.value.message_dict)
    assert Assessment.objects.count() == before


def test_an_answer_to_a_question_the_form_does_not_ask_is_refused(obs, director):
    form = o_score_form(obs, director)
    with pytest.raises(ValidationError) as caught:
        record(obs, form, "3", answers={"Blood loss": "little"})
    assert "answers" in caught.value.message_dict
    assert not Assessment.objects.exists()


def test_ratings_on_another_scale_stay_out_of_every_summary(obs, director, program):
    ReviewPeriod.objects.create(
        program=program, name="Now", start_date=DAY - dt.timedelta(days=30), end_date=DAY
    )
    form = o_score_form(obs, director)
    record(obs, form, "5")
    assert not MonthlyRatingSummary.objects.filter(
        learner=obs.learner, rated_by=MonthlyRatingSummary.RatedBy.ASSESSOR
    ).exists()
    assert not PeriodRatingSummary.objects.exists()

    record(obs, None, "2")  # the shipped EPA form, the framework's own scale
    [cell] = PeriodRatingSummary.objects.all()
    assert (cell.median, cell.n) == (2.0, 1)  # never averaged with the O-SCORE 5


def test_a_mapping_counts_ratings_as_their_mapped_milestone_level(obs, director, program):
    ReviewPeriod.objects.create(
        program=program, name="Now", start_date=DAY - dt.timedelta(days=30), end_date=DAY
    )
    form = o_score_form(
        obs,
        director,
        milestone_mapping={"1": "1", "2": "2", "3": "3", "4": "3.5", "5": "4"},
    )
    made = record(obs, form, "4")
    assert made.counted_level == Decimal("3.5")
    [cell] = PeriodRatingSummary.objects.all()
    assert (cell.median, cell.n) == (3.5, 1)

    # A correction moves the counted level with it.
    assessment_revise(assessment=made, author=obs.assessor, level="5")
    made.refresh_from_db()
    assert (made.level, made.counted_level) == (Decimal("5"), Decimal("4"))
    assert PeriodRatingSummary.objects.get().median == 4.0


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"name": ""}, "name"),
        ({"rates": "procedures"}, "rates"),
        ({"scale": "likert-7"}, "scale"),
        ({"scale": "custom", "levels": [LevelInput("1", "Only one")]}, "levels"),
        (
            {"scale": "custom", "levels": [LevelInput("1", "A"), LevelInput("1", "B")]},
            "levels",
        ),
        ({"scale": "custom", "levels": [LevelInput("x", "A"), LevelInput("2", "B")]}, "levels"),
        ({"scale": "o-score", "milestone_mapping": {"1": "1"}}, "milestone_mapping"),
        ({"scale": "o-score", "milestone_mapping": {"9": "1"}}, "milestone_mapping"),
        ({"milestone_mapping": {"1": "1"}}, "milestone_mapping"),
        ({"optional_prompts": ["a", "b", "c", "d", "e", "f"]}, "optional_prompts"),
        ({"optional_prompts": ["Same", "Same"]}, "optional_prompts"),
    ],
)
def test_a_bad_form_names_its_field_and_writes_nothing(obs, director, fields, error_field):
    scales = RatingScale.objects.count()
    body = {"name": "Bad", "rates": "epa", "scale": "framework", **fields}
    with pytest.raises(ValidationError) as caught:
        assessment_form_create(program=obs.program, by=director, **body)
    assert error_field in caught.value.message_dict
    assert not AssessmentForm.objects.filter(program=obs.program).exists()
    assert RatingScale.objects.count() == scales


def test_items_must_be_of_the_program_and_of_the_forms_kind(obs, director):
    with pytest.raises(ValidationError) as caught:
        assessment_form_create(
            program=obs.program,
            by=director,
            name="Mixed",
            rates="epa",
            competency_ids=[obs.subs[0].pk],
        )
    assert "competencies" in caught.value.message_dict


def test_a_program_defines_its_own_scale_with_anchors(obs, director):
    form = assessment_form_create(
        program=obs.program,
        by=director,
        name="Handover",
        rates="milestones",
        scale="custom",
        scale_name="Handover readiness",
        levels=[
            LevelInput("1", "Not yet", "Leaves out the sickest patient."),
            LevelInput("2", "Mostly", "Covers each patient; the plan needs prompting."),
            LevelInput("3", "Ready", "Clear, prioritised, with contingencies."),
        ],
    )
    assert form.scale is not None
    assert form.scale.kind == RatingScale.Kind.CUSTOM
    anchors = [level.anchor for level in form.scale.levels.all()]
    assert anchors[0] == "Leaves out the sickest patient."
    made = observation_record(
        assessor=obs.assessor,
        learner_id=obs.learner.pk,
        ratings=[RatingInput(obs.subs[0].pk, "3")],
        observed_on=DAY,
        submission_key=uuid.uuid4(),
        form_id=form.pk,
    ).assessments[0]
    assert (made.scale_id, made.counted_level) == (form.scale_id, None)


def test_a_request_on_a_form_is_completed_on_that_forms_scale(obs, director):
    form = o_score_form(obs, director)
    request, _ = observation_request_create(
        learner=obs.learner,
        assessor_id=obs.assessor.pk,
        competency_ids=[obs.epas[0].pk],
        form_id=form.pk,
    )
    assert request.form == form
    with pytest.raises(ValidationError):
        observation_request_complete(
            request=request,
            assessor=obs.assessor,
            ratings=[RatingInput(obs.epas[0].pk, "3.5")],
            submission_key=uuid.uuid4(),
        )
    request.refresh_from_db()
    assert request.status == AssessmentRequest.Status.OPEN
    result = observation_request_complete(
        request=request,
        assessor=obs.assessor,
        ratings=[RatingInput(obs.epas[0].pk, "2")],
        submission_key=uuid.uuid4(),
    )
    assert result.assessments[0].scale.code == "o-score"


def test_a_form_of_another_program_or_kind_is_refused(obs, director, other_program):
    elsewhere = assessment_form_create(
        program=other_program, by=director, name="Theirs", rates="epa", scale="zwisch"
    )
    milestones = assessment_form_create(
        program=obs.program, by=director, name="Ours", rates="milestones", scale="zwisch"
    )
    for form in (elsewhere, milestones):
        with pytest.raises(ValidationError) as caught:
            record(obs, form, "2")
        assert "form" in caught.value.message_dict
    assert not Assessment.objects.exists()


# --- API --------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_the_api_builds_a_form_and_refuses_a_rating_off_its_scale_with_a_400(api, obs, director):
    api.force_authenticate(director)
    made = api.post(
        "/api/v1/assessment-forms/",
        {
            "program": obs.program.pk,
            "name": "Chen EPA form",
            "rates": "epa",
            "scale": "chen-entrustment",
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["scale"]["code"] == "chen-entrustment"
    assert [level["label"] for level in body["scale"]["levels"]][:3] == ["1a", "1b", "2a"]

    api.force_authenticate(obs.assessor)
    listed = api.get(f"/api/v1/assessment-forms/?program={obs.program.pk}").json()
    assert {"Chen EPA form", "EPA entrustment", "Milestone levels"} <= {f["name"] for f in listed}
    answer = api.post(
        "/api/v1/assessments/",
        {
            "learner": obs.learner.pk,
            "form": body["id"],
            "ratings": [{"competency": obs.epas[0].pk, "level": "3"}],
            "submission_key": str(uuid.uuid4()),
        },
        format="json",
    )
    assert answer.status_code == 400
    assert "not on the Chen entrustment scale" in str(answer.json()["ratings"])
    assert not Assessment.objects.exists()
    good = api.post(
        "/api/v1/assessments/",
        {
            "learner": obs.learner.pk,
            "form": body["id"],
            "ratings": [{"competency": obs.epas[0].pk, "level": "3.2"}],
            "submission_key": str(uuid.uuid4()),
        },
        format="json",
    )
    assert good.status_code == 201, good.json()
    [row] = good.json()["assessments"]
    assert (row["scale"]["code"], row["level"], row["counted_level"]) == (
        "chen-entrustment",
        "3.2",
        None,
    )


def test_only_the_programs_staff_build_its_forms(api, obs, assessor, other_director):
    body = {"program": obs.program.pk, "name": "X", "rates": "epa"}
    for someone in (assessor, other_director, obs.learner):
        api.force_authenticate(someone)
        assert api.post("/api/v1/assessment-forms/", body, format="json").status_code == 404
    assert not AssessmentForm.objects.filter(program=obs.program).exists()


def test_a_form_of_another_program_is_a_404(api, obs, director, other_director, other_program):
    theirs = assessment_form_create(
        program=other_program, by=other_director, name="Theirs", rates="epa", scale="zwisch"
    )
    api.force_authenticate(director)
    assert api.get(f"/api/v1/assessment-forms/{theirs.pk}/").status_code == 404
    client = factories_client(director)
    assert client.get(f"/assessments/forms/{theirs.pk}/").status_code == 404


def factories_client(user):
    client = Client()
    client.force_login(user)
    return client


# --- Pages ----------------------------------------------------------------------------------


def test_the_builder_page_saves_a_custom_scale_form_and_shows_its_anchors(obs, director):
    client = factories_client(director)
    page = client.get(f"/assessments/forms/new/{obs.program.pk}/")
    assert page.status_code == 200
    assert "Supervisor did it" in page.content.decode()  # the O-SCORE anchors, one tap away
    sent = client.post(
        f"/assessments/forms/new/{obs.program.pk}/",
        {
            "name": "Ward round",
            "rates": "milestones",
            "scale": "custom",
            "scale_name": "Ward readiness",
            "levels": "1 | Not yet | Needs me at the bedside.\n2 | Nearly | Checks in on plans.\n"
            "3 | Ready | Runs the round.",
            "went_well_prompt": "What went well",
            "next_step_prompt": "One thing to work on next",
            "optional_prompts": "Number of patients",
            "milestone_mapping": "1 = 1\n2 = 2\n3 = 3",
        },
    )
    form = AssessmentForm.objects.get(name="Ward round")
    assert sent.status_code == 302
    detail = client.get(f"/assessments/forms/{form.pk}/").content.decode()
    assert "Needs me at the bedside." in detail and "through the mapping" in detail


def test_a_bad_builder_post_says_what_is_wrong_and_saves_nothing(obs, director):
    client = factories_client(director)
    page = client.post(
        f"/assessments/forms/new/{obs.program.pk}/",
        {
            "name": "Bad",
            "rates": "epa",
            "scale": "custom",
            "levels": "1 | Only",
            "went_well_prompt": "a",
            "next_step_prompt": "b",
        },
    )
    assert page.status_code == 400
    assert "A scale has 2 to 10 levels." in page.content.decode()
    assert not AssessmentForm.objects.filter(name="Bad").exists()


@pytest.mark.parametrize("size", [1, 6])
def test_the_form_list_runs_a_constant_number_of_queries(obs, director, size):
    for i in range(size):
        o_score_form(obs, director, name=f"Form {i}", competency_ids=[obs.epas[0].pk])
    client = factories_client(director)
    client.get("/assessments/forms/")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/assessments/forms/").status_code == 200
    # Expect 8 queries at any size: * session * user * the navigation's roles * the programs
    # the viewer manages * the forms * their scales' levels * their chosen items * the header's
    # unread count.
    assert len(queries) == 8, [q["sql"][:80] for q in queries]


@pytest.mark.parametrize("size", [1, 6])
def test_the_api_form_list_runs_a_constant_number_of_queries(api, obs, director, size):
    for i in range(size):
        o_score_form(obs, director, name=f"Form {i}", competency_ids=[obs.epas[0].pk])
    api.force_authenticate(director)
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/assessment-forms/").status_code == 200
    # Expect 3 queries at any size: * the visible forms (with program and scale) * their
    # scales' levels * their chosen items.
    assert len(queries) == 3, [q["sql"][:80] for q in queries]


@pytest.mark.parametrize("size", [1, 6])
def test_the_builder_and_a_forms_page_run_a_constant_number_of_queries(obs, director, size):
    framework, epas = epa_framework(count=size)
    obs.program.frameworks.add(framework)
    form = assessment_form_create(
        program=obs.program,
        by=director,
        name="Own scale",
        rates="epa",
        scale="custom",
        levels=[
            LevelInput(str(v), f"Step {v}", f"What step {v} looks like") for v in range(size + 1)
        ],
        competency_ids=[e.pk for e in epas],
        optional_prompts=[f"Question {i}" for i in range(min(size, 5))],
    )
    client = factories_client(director)
    client.get("/assessments/forms/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/assessments/forms/new/{obs.program.pk}/").status_code == 200
    # Expect 12 queries at any size: * session * user * the program (managed) * its frameworks
    # * their ratable items * the shipped scales: the ensure step (three lookups) and the list
    # * their levels * the navigation's roles * the header's unread count.
    assert len(queries) == 12, [q["sql"][:80] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/assessments/forms/{form.pk}/").status_code == 200
    # Expect 7 queries at any size: * session * user * the form with program and scale * its
    # scale's levels * its items * the navigation's roles * the header's unread count.
    assert len(queries) == 7, [q["sql"][:80] for q in queries]
    api = APIClient()
    api.force_authenticate(director)
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"/api/v1/assessment-forms/{form.pk}/").status_code == 200
    # Expect 3 queries: * the form (visible to the caller) * its scale's levels * its items.
    assert len(queries) == 3, [q["sql"][:80] for q in queries]


def test_the_portable_export_names_each_ratings_scale_and_form(obs, director):
    record(obs, o_score_form(obs, director), "4")
    record(obs, None, "2")
    exported = portfolio_document(learner=obs.learner).document["assessments_received"]
    assert sorted((a["scale"], a["form"], a["level"]) for a in exported) == [
        ("entrustment-test", "EPA entrustment", "2"),
        ("o-score", "Procedure O-SCORE", "4"),
    ]

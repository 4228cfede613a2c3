"""The observations API: requests, assessments, responses and calibration under /api/v1/."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Assessment, AssessmentRequest, AssessmentResponse
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import ObservedAssessmentFactory, ObsWorld
from portfolio.tests.factories import SelfAssessmentFactory, ShareGrantFactory
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def as_(api: APIClient, user) -> APIClient:
    api.force_authenticate(user)
    return api


def _ask(api: APIClient, obs: ObsWorld, **overrides):
    body = {
        "assessor": obs.assessor.pk,
        "competencies": [obs.epas[0].pk],
        "setting": "ward",
        "case_type": "new chest pain",
        "encounter_on": timezone.localdate().isoformat(),
        "client_token": str(uuid.uuid4()),
    }
    body.update(overrides)
    return as_(api, obs.learner).post("/api/v1/observation-requests/", body, format="json")


def _complete_body(obs: ObsWorld, **overrides):
    body = {
        "ratings": [{"competency": obs.epas[0].pk, "level": "3"}],
        "went_well": "Summarised the history back and checked understanding.",
        "next_step": "Say the differential aloud before ordering tests.",
        "submission_key": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


# --- Requests -------------------------------------------------------------------------------


def test_learner_asks_by_api_and_a_retry_returns_the_same_request(api, obs):
    token = str(uuid.uuid4())
    first = _ask(api, obs, client_token=token)
    second = _ask(api, obs, client_token=token)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    body = first.json()
    assert body["assessor"] == {"id": obs.assessor.pk, "name": obs.assessor.name}
    assert [c["code"] for c in body["competencies"]] == ["EPA1"]
    assert body["status"] == "open"
    assert AssessmentRequest.objects.count() == 1


def test_asking_a_non_assessor_is_a_400_with_the_field_named(api, obs, coach):
    response = _ask(api, obs, assessor=coach.pk)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert "assessor" in response.json()
    assert AssessmentRequest.objects.count() == 0


def test_the_assessor_lists_requests_addressed_to_them(api, obs):
    _ask(api, obs)
    mine = as_(api, obs.assessor).get("/api/v1/observation-requests/?role=assessor").json()
    assert len(mine["results"]) == 1
    theirs = as_(api, obs.assessor).get("/api/v1/observation-requests/").json()
    assert theirs["results"] == []


def test_assessor_completes_by_api_with_hints_and_a_retry_is_idempotent(api, obs):
    request_id = _ask(api, obs).json()["id"]
    body = _complete_body(obs, went_well="Good job")
    url = f"/api/v1/observation-requests/{request_id}/complete/"
    first = as_(api, obs.assessor).post(url, body, format="json")
    second = as_(api, obs.assessor).post(url, body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["assessments"][0]["id"] == second.json()["assessments"][0]["id"]
    assert "went_well" in first.json()["hints"]
    assert Assessment.objects.count() == 1
    third = as_(api, obs.assessor).post(url, _complete_body(obs), format="json")
    assert third.status_code == 409
    assert "already completed" in third.json()["detail"]


def test_completing_a_declined_request_by_api_is_a_409(api, obs):
    request_id = _ask(api, obs).json()["id"]
    declined = as_(api, obs.assessor).post(
        f"/api/v1/observation-requests/{request_id}/decline/", {"reason": "Away."}, format="json"
    )
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    response = as_(api, obs.assessor).post(
        f"/api/v1/observation-requests/{request_id}/complete/", _complete_body(obs), format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "override",
    [
        {"ratings": [{"competency": 0, "level": "3"}]},
        {"ratings": []},
        {"went_well": "x" * 2001},
        {"submission_key": "nope"},
    ],
)
def test_bad_completions_by_api_are_400_and_write_nothing(api, obs, override):
    request_id = _ask(api, obs).json()["id"]
    response = as_(api, obs.assessor).post(
        f"/api/v1/observation-requests/{request_id}/complete/",
        _complete_body(obs, **override),
        format="json",
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert Assessment.objects.count() == 0
    assert AssessmentRequest.objects.get().status == "open"


def test_level_off_the_scale_by_api_is_a_400(api, obs):
    request_id = _ask(api, obs).json()["id"]
    response = as_(api, obs.assessor).post(
        f"/api/v1/observation-requests/{request_id}/complete/",
        _complete_body(obs, ratings=[{"competency": obs.epas[0].pk, "level": "7"}]),
        format="json",
    )
    assert response.status_code == 400
    assert "ratings" in response.json()


def test_only_the_addressed_assessor_may_complete_by_api(api, obs, director):
    request_id = _ask(api, obs).json()["id"]
    for person in (obs.learner, director):
        response = as_(api, person).post(
            f"/api/v1/observation-requests/{request_id}/complete/",
            _complete_body(obs),
            format="json",
        )
        assert response.status_code == 404


@pytest.mark.parametrize("size", [1, 10])
def test_request_list_api_runs_a_constant_number_of_queries(
    api, obs, django_assert_num_queries, size
):
    for _ in range(size):
        _ask(api, obs, competencies=[obs.subs[0].pk, obs.subs[1].pk])
    as_(api, obs.learner)
    # 1 the page of requests (with learner, assessor, program, framework), 2 their
    # competencies with frameworks.
    with django_assert_num_queries(2):
        response = api.get("/api/v1/observation-requests/")
    assert len(response.json()["results"]) == size


# --- Assessments ------------------------------------------------------------------------------


def test_assessor_observes_unasked_by_api_and_outside_the_program_is_refused(
    api, obs, other_learner
):
    body = _complete_body(obs, learner=obs.learner.pk, setting="clinic")
    ok = as_(api, obs.assessor).post("/api/v1/assessments/", body, format="json")
    assert ok.status_code == 201
    assert ok.json()["assessments"][0]["context"] == "Clinic / outpatient"
    refused = as_(api, obs.assessor).post(
        "/api/v1/assessments/",
        _complete_body(obs, learner=other_learner.pk),
        format="json",
    )
    assert refused.status_code == 400
    assert "learner" in refused.json()
    assert Assessment.objects.count() == 1


def test_learner_lists_received_assessments_with_filters(api, obs):
    a = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    ObservedAssessmentFactory(learner=obs.learner, competency=obs.epas[1])
    ObservedAssessmentFactory(competency=obs.epas[0])  # someone else's
    as_(api, obs.learner)
    assert len(api.get("/api/v1/assessments/").json()["results"]) == 2
    only = api.get(f"/api/v1/assessments/?competency={obs.epas[0].pk}").json()["results"]
    assert [r["id"] for r in only] == [a.pk]
    assert api.get("/api/v1/assessments/?since=yesterday").status_code == 400
    given = as_(api, obs.assessor).get("/api/v1/assessments/?role=assessor").json()["results"]
    assert [r["id"] for r in given] == [a.pk]


@pytest.mark.parametrize("size", [1, 12])
def test_assessment_list_api_runs_a_constant_number_of_queries(
    api, obs, django_assert_num_queries, size
):
    for i in range(size):
        ObservedAssessmentFactory(
            learner=obs.learner, assessor=obs.assessor, competency=obs.epas[i % 3]
        )
    as_(api, obs.learner)
    # 1 the page of assessments with assessor, learner, competency, framework, program and
    # response counts.
    with django_assert_num_queries(1):
        response = api.get("/api/v1/assessments/")
    assert len(response.json()["results"]) == size


def test_author_corrects_by_api_and_the_learner_may_not(api, obs, director):
    item = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    url = f"/api/v1/assessments/{item.pk}/"
    ok = as_(api, obs.assessor).patch(url, {"level": "4"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert [v["kind"] for v in ok.json()["versions"]] == ["correction", "original"]
    assert as_(api, obs.learner).patch(url, {"level": "5"}, format="json").status_code == 403
    assert as_(api, director).patch(url, {"level": "5"}, format="json").status_code == 403
    outsider = factories.UserFactory()
    assert as_(api, outsider).patch(url, {"level": "5"}, format="json").status_code == 404
    item.refresh_from_db()
    assert item.level == Decimal("4")


def test_amending_by_api_after_24_hours_needs_a_reason(api, obs):
    item = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    Assessment.objects.filter(pk=item.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    url = f"/api/v1/assessments/{item.pk}/"
    refused = as_(api, obs.assessor).patch(url, {"level": "4"}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()
    ok = as_(api, obs.assessor).patch(url, {"level": "4", "reason": "Misclicked."}, format="json")
    assert ok.status_code == 200
    assert ok.json()["versions"][0]["kind"] == "amendment"


def test_learner_acknowledges_and_responds_by_api(api, obs):
    item = ObservedAssessmentFactory(
        learner=obs.learner, assessor=obs.assessor, competency=obs.epas[0]
    )
    as_(api, obs.learner)
    ack = api.post(f"/api/v1/assessments/{item.pk}/acknowledge/")
    assert ack.status_code == 200
    assert ack.json()["acknowledged_at"] is not None
    token = str(uuid.uuid4())
    body = {"text": "I will try the pause.", "client_token": token}
    first = api.post(f"/api/v1/assessments/{item.pk}/responses/", body, format="json")
    second = api.post(f"/api/v1/assessments/{item.pk}/responses/", body, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert AssessmentResponse.objects.count() == 1
    listed = as_(api, obs.assessor).get(f"/api/v1/assessments/{item.pk}/responses/").json()
    assert [r["text"] for r in listed] == ["I will try the pause."]
    refused = as_(api, obs.assessor).post(
        f"/api/v1/assessments/{item.pk}/responses/", {"text": "Me too"}, format="json"
    )
    assert refused.status_code == 403


def test_narrative_comes_back_as_plain_text(api, obs):
    item = ObservedAssessmentFactory(
        learner=obs.learner,
        assessor=obs.assessor,
        competency=obs.epas[0],
        went_well="<b>bold</b> & more",
    )
    body = as_(api, obs.learner).get(f"/api/v1/assessments/{item.pk}/").json()
    assert body["went_well"] == "<b>bold</b> & more"


# --- Calibration and people ---------------------------------------------------------------------


def test_calibration_api_for_the_learner_and_a_sharing_coach_only(api, obs, coach):
    SelfAssessmentFactory(
        learner=obs.learner,
        competency=obs.subs[0],
        level=Decimal("3"),
        assessed_on=dt.date(2025, 1, 1),
    )
    ObservedAssessmentFactory(
        learner=obs.learner,
        assessor=obs.assessor,
        competency=obs.subs[0],
        level=Decimal("2"),
        observed_on=dt.date(2025, 1, 5),
    )
    own = as_(api, obs.learner).get("/api/v1/calibration/?window=30").json()
    assert own["window_days"] == 30
    assert own["n"] == 1
    assert own["frameworks"][0]["competencies"][0]["difference"] == 1.0
    assert own["frameworks"][0]["periods"][0]["quarter"] == "2025 Q1"
    url = f"/api/v1/calibration/{obs.learner.pk}/"
    assert as_(api, coach).get(url).status_code == 404
    ShareGrantFactory(learner=obs.learner, grantee=coach, share_checkins=True)
    assert as_(api, coach).get(url).json()["n"] == 1


def test_people_lists_show_whom_i_may_ask_and_whom_i_may_observe(api, obs, coach, director):
    asked = as_(api, obs.learner).get("/api/v1/observation-assessors/").json()
    assert {p["id"] for p in asked["results"]} == {obs.assessor.pk, director.pk}
    observed = as_(api, obs.assessor).get("/api/v1/observation-learners/").json()
    assert [p["id"] for p in observed["results"]] == [obs.learner.pk]
    assert as_(api, coach).get("/api/v1/observation-learners/").json()["count"] == 0


def test_every_observation_endpoint_is_in_the_schema(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/observation-requests/",
        "/api/v1/observation-requests/{id}/complete/",
        "/api/v1/observation-requests/{id}/decline/",
        "/api/v1/assessments/",
        "/api/v1/assessments/{id}/",
        "/api/v1/assessments/{id}/responses/",
        "/api/v1/assessments/{id}/acknowledge/",
        "/api/v1/calibration/",
        "/api/v1/calibration/{learner_id}/",
    ):
        assert path in schema["paths"], path
    complete = schema["paths"]["/api/v1/observation-requests/{id}/complete/"]["post"]
    assert set(complete["responses"]) >= {"200", "201", "400", "409"}

"""Incoming learning over /api/v1/: the list, accept (as evidence) and dismiss."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from portfolio.models import Evidence
from tests import factories
from xapi.models import CompetencyMapping, IncomingDecision
from xapi.tests.helpers import ACTIVITY, new_lrs, statement

pytestmark = pytest.mark.django_db

SIM_TYPE = "http://adlnet.gov/expapi/activities/simulation"
LIST = "/api/v1/learning/incoming/"


@pytest.fixture
def competency(program):
    framework = factories.FrameworkFactory()
    program.frameworks.add(framework)
    return factories.CompetencyFactory(framework=framework, code="PC3", title="Procedures")


def about(email: str, **overrides: Any) -> dict[str, Any]:
    return statement(actor={"mbox": f"mailto:{email}", "name": "Learner"}, **overrides)


def accept(client: Any, statement_id: str, competencies: list[int]) -> Any:
    return client.post(
        f"{LIST}{statement_id}/accept/",
        {"competencies": competencies},
        content_type="application/json",
    )


def test_the_list_shows_my_statements_with_result_source_and_suggestions(
    client, learner, competency
):
    CompetencyMapping.objects.create(activity_type=SIM_TYPE, competency=competency)
    activity = {"id": ACTIVITY, "definition": {"name": {"en": "Suturing"}, "type": SIM_TYPE}}
    result = {"score": {"raw": 8, "max": 10}, "success": True, "duration": "PT45M"}
    [statement_id] = new_lrs("Sim centre").store(
        about(learner.email, object=activity, result=result)
    )
    new_lrs("Other").store(about("someone.else@example.org"))
    client.force_login(learner)

    body = client.get(LIST).json()

    assert body["count"] == 1
    [item] = body["results"]
    assert item["statement_id"] == statement_id
    assert item["activity"] == "Suturing"
    assert item["activity_id"] == ACTIVITY
    assert item["verb"] == "completed"
    assert (item["score"], item["success"], item["completion"]) == ("8/10", True, None)
    assert item["duration"] == "45 min"
    assert item["sent_by"] == "Sim centre"
    assert item["statement"]["id"] == statement_id
    [suggestion] = item["suggestions"]
    assert suggestion["competency"]["id"] == competency.pk
    assert suggestion["reason"] == "mapped activity"


def test_accepting_makes_evidence_once_and_a_retry_returns_it(client, learner, competency):
    [statement_id] = new_lrs("Sim centre").store(about(learner.email))
    client.force_login(learner)

    first = accept(client, statement_id, [competency.pk])
    retry = accept(client, statement_id, [competency.pk])

    evidence = Evidence.objects.get(learner=learner)
    assert first.status_code == 201
    assert first.json() == {
        "statement_id": statement_id,
        "evidence_id": evidence.pk,
        "title": evidence.title,
    }
    assert retry.status_code == 200
    assert retry.json()["evidence_id"] == evidence.pk
    assert list(evidence.competencies.all()) == [competency]
    assert evidence.external_id == statement_id
    assert client.get(LIST).json()["count"] == 0


def test_accepting_with_a_competency_outside_my_frameworks_is_a_400_and_writes_nothing(
    client, learner
):
    elsewhere = factories.CompetencyFactory()
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(learner)

    response = accept(client, statement_id, [elsewhere.pk])
    malformed = accept(client, statement_id, ["not a number"])  # type: ignore[list-item]
    overflowing = accept(client, statement_id, [2**70])

    assert response.status_code == 400
    assert response.json()["detail"]
    assert malformed.status_code == 400
    assert overflowing.status_code == 400
    assert not Evidence.objects.exists()
    assert not IncomingDecision.objects.exists()
    assert client.get(LIST).json()["count"] == 1


def test_dismissing_hides_it_a_retry_is_harmless_and_it_cannot_be_accepted_after(client, learner):
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(learner)

    first = client.post(f"{LIST}{statement_id}/dismiss/")
    retry = client.post(f"{LIST}{statement_id}/dismiss/")
    accepted_after = accept(client, statement_id, [])

    assert (first.status_code, retry.status_code) == (204, 204)
    assert accepted_after.status_code == 404
    assert IncomingDecision.objects.get().status == IncomingDecision.Status.DISMISSED
    assert not Evidence.objects.exists()
    assert client.get(LIST).json()["count"] == 0


def test_an_accepted_statement_cannot_be_dismissed_after(client, learner):
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(learner)
    accept(client, statement_id, [])

    response = client.post(f"{LIST}{statement_id}/dismiss/")

    assert response.status_code == 404
    assert IncomingDecision.objects.get().status == IncomingDecision.Status.ACCEPTED


def test_another_learner_sees_nothing_and_gets_404_for_my_statement(client, learner, other_learner):
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(other_learner)

    listed = client.get(LIST).json()
    accepted = accept(client, statement_id, [])
    dismissed = client.post(f"{LIST}{statement_id}/dismiss/")
    unknown = client.post(f"{LIST}{uuid.uuid4()}/dismiss/")

    assert listed["count"] == 0
    assert (accepted.status_code, dismissed.status_code, unknown.status_code) == (404, 404, 404)
    assert not IncomingDecision.objects.exists()


@pytest.mark.parametrize("size", [2, 40])
def test_the_list_query_count_is_constant(
    client, learner, competency, size, django_assert_num_queries
):
    CompetencyMapping.objects.create(activity_id=ACTIVITY, competency=competency)
    new_lrs().store(*[about(learner.email) for _ in range(size)])
    client.force_login(learner)
    # Expect 7 queries: * session * user * verified emails * count of incoming statements
    # * a page of statements with their clients * mappings for the page's activities (the
    # learner's frameworks in use as a subquery) with their competencies * those
    # competencies' frameworks
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert len(response.json()["results"]) == min(size, 20)

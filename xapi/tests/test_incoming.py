"""Statements about a learner become their incoming learning, to accept or dismiss."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings

from portfolio.models import Evidence
from tests import factories
from xapi.models import CompetencyMapping, IncomingDecision
from xapi.tests.helpers import ACTIVITY, new_lrs, statement

pytestmark = pytest.mark.django_db

SIM_TYPE = "http://adlnet.gov/expapi/activities/simulation"


@pytest.fixture
def competency(program):
    framework = factories.FrameworkFactory()
    program.frameworks.add(framework)
    return factories.CompetencyFactory(framework=framework, code="PC3", title="Procedures")


def about(email: str, **overrides: Any) -> dict[str, Any]:
    return statement(actor={"mbox": f"mailto:{email}", "name": "Learner"}, **overrides)


def test_statements_about_a_learner_show_with_activity_result_and_source(client, learner):
    lrs = new_lrs("Simulation centre")
    lrs.store(
        about(
            "Learner@Example.org",
            result={"score": {"raw": 8, "max": 10}, "success": True, "duration": "PT45M"},
        )
    )
    lrs.store(about("someone.else@example.org"))
    client.force_login(learner)

    response = client.get("/learning/incoming/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "Suturing station" in text
    assert "score 8/10, passed, 45 min" in text.lower()
    assert "Simulation centre" in text
    assert len(response.context["items"]) == 1


def test_sha1_and_site_account_actors_reach_the_learner(client, learner):
    lrs = new_lrs()
    digest = hashlib.sha1(b"mailto:learner@example.org").hexdigest()
    lrs.store(statement(actor={"mbox_sha1sum": digest}))
    account = {"homePage": settings.XAPI_ACCOUNT_HOMEPAGE, "name": learner.email}
    lrs.store(statement(actor={"account": account}))
    client.force_login(learner)

    assert len(client.get("/learning/incoming/").context["items"]) == 2


def test_statements_for_an_unverified_email_wait_until_it_is_verified(client, learner):
    EmailAddress.objects.create(user=learner, email="new@example.org", verified=False)
    new_lrs().store(about("new@example.org"))
    client.force_login(learner)
    assert client.get("/learning/incoming/").context["items"] == []

    EmailAddress.objects.filter(email="new@example.org").update(verified=True)

    assert len(client.get("/learning/incoming/").context["items"]) == 1


def test_accepting_makes_evidence_with_the_chosen_competency(client, learner, competency):
    CompetencyMapping.objects.create(activity_type=SIM_TYPE, competency=competency)
    activity = {"id": ACTIVITY, "definition": {"name": {"en": "Suturing"}, "type": SIM_TYPE}}
    [statement_id] = new_lrs("Sim centre").store(about(learner.email, object=activity))
    client.force_login(learner)
    page = client.get("/learning/incoming/")
    [suggestion] = page.context["items"][0]["suggestions"]
    assert suggestion.competency == competency

    response = client.post(
        f"/learning/incoming/{statement_id}/accept/", {"competencies": [competency.pk]}
    )
    again = client.post(f"/learning/incoming/{statement_id}/accept/", {})

    evidence = Evidence.objects.get(learner=learner)
    assert response.status_code == 302
    assert response["Location"] == f"/evidence/{evidence.pk}/"
    assert again.status_code == 404  # decided already: gone from the incoming list
    assert list(evidence.competencies.all()) == [competency]
    assert evidence.kind == Evidence.Kind.EXTERNAL
    assert evidence.external_source == "Sim centre"
    assert evidence.external_id == statement_id
    assert client.get("/learning/incoming/").context["items"] == []


def test_competency_codes_in_the_extension_are_suggested(client, learner, competency):
    iri = f"{settings.XAPI_ACCOUNT_HOMEPAGE}/xapi/extensions/competencies"
    new_lrs().store(about(learner.email, result={"extensions": {iri: ["PC3", "NOPE"]}}))
    client.force_login(learner)

    [item] = client.get("/learning/incoming/").context["items"]

    assert [s.competency for s in item["suggestions"]] == [competency]


def test_a_competency_outside_the_learners_frameworks_is_refused(client, learner):
    elsewhere = factories.CompetencyFactory()
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(learner)

    response = client.post(
        f"/learning/incoming/{statement_id}/accept/", {"competencies": [elsewhere.pk]}
    )

    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert not IncomingDecision.objects.exists()


def test_dismissing_hides_the_statement(client, learner):
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(learner)

    client.post(f"/learning/incoming/{statement_id}/dismiss/")

    assert client.get("/learning/incoming/").context["items"] == []
    assert IncomingDecision.objects.get().status == IncomingDecision.Status.DISMISSED
    assert not Evidence.objects.exists()


def test_another_learner_cannot_accept_or_see_my_statement(client, learner, other_learner):
    [statement_id] = new_lrs().store(about(learner.email))
    client.force_login(other_learner)

    assert client.get("/learning/incoming/").context["items"] == []
    assert client.post(f"/learning/incoming/{statement_id}/accept/").status_code == 404
    assert client.post(f"/learning/incoming/{statement_id}/dismiss/").status_code == 404


def test_the_learner_sees_which_clients_can_read_statements_about_them(client, learner):
    new_lrs("Simulation centre").store(about(learner.email))
    new_lrs("Question bank")
    new_lrs("Analytics", reads_all=True)
    client.force_login(learner)

    clients = [c.name for c in client.get("/learning/incoming/").context["clients"]]

    assert clients == ["Analytics", "Simulation centre"]


def test_incoming_page_query_count_is_constant(
    client, learner, competency, django_assert_num_queries
):
    CompetencyMapping.objects.create(activity_id=ACTIVITY, competency=competency)
    lrs = new_lrs()
    client.force_login(learner)
    for size in (2, 40):
        lrs.store(*[about(learner.email) for _ in range(size)])
        # Expect 8 queries: * session * user * the user's program roles * verified emails
        # * statement count for the pager * a page of statements with their clients
        # * mappings for the page's activities (frameworks in use as a subquery)
        # * clients that can read statements about the learner
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(9):
            response = client.get("/learning/incoming/")
        assert len(response.context["items"]) == (2 if size == 2 else 20)


def test_a_statement_about_nobody_yet_is_shown_to_nobody_until_that_person_verifies(
    client, learner, coach, director
):
    [statement_id] = new_lrs().store(about("newcomer@example.org"))
    for person in (learner, coach, director):
        client.force_login(person)
        assert client.get("/learning/incoming/").context["items"] == []
        assert client.get("/api/v1/learning/incoming/").json()["count"] == 0
        assert client.post(f"/learning/incoming/{statement_id}/accept/").status_code == 404

    newcomer = factories.UserFactory(email="newcomer@example.org")
    EmailAddress.objects.filter(user=newcomer).delete()
    EmailAddress.objects.create(user=newcomer, email="newcomer@example.org", verified=False)
    client.force_login(newcomer)
    assert client.get("/learning/incoming/").context["items"] == []

    EmailAddress.objects.filter(user=newcomer).update(verified=True)

    [item] = client.get("/learning/incoming/").context["items"]
    assert str(item["statement"].statement_id) == statement_id

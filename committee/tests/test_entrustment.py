"""Entrustment decisions: the committee records per learner and EPA a level, a date, the
evidence and conditions; the director signs it off like consensus; the learner then sees it on
their reviews page and in the API. Bad input is a clear error with nothing written."""

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

from assessments.services.observations import RatingInput, observation_record
from assessments.tests.factories import *  # noqa: F403
from assessments.tests.factories import ObsWorld
from committee.entrustment import (
    EntrustmentConflictError,
    entrustment_decision_record,
    entrustment_decision_sign_off,
)
from committee.models import EntrustmentDecision
from notifications.models import Notification
from portfolio.models import AccessLog
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def committee_member(program):
    user = factories.UserFactory(email="committee@example.org")
    factories.ProgramRoleFactory(user=user, program=program, role="committee")
    return user


def observed(obs: ObsWorld, level: str = "3"):
    return observation_record(
        assessor=obs.assessor,
        learner_id=obs.learner.pk,
        ratings=[RatingInput(obs.epas[0].pk, level)],
        went_well="Led the family meeting calmly.",
        next_step="Check understanding before closing.",
        observed_on=TODAY - dt.timedelta(days=3),
        submission_key=uuid.uuid4(),
    ).assessments[0]


def decide(obs: ObsWorld, by, **extra) -> EntrustmentDecision:
    fields = {
        "program": obs.program,
        "learner_id": obs.learner.pk,
        "competency_id": obs.epas[0].pk,
        "level": "4",
        "decided_on": TODAY,
        "rationale": "Six observations at 3–4 across settings; no concerns from nursing.",
        "conditions": "Daytime only, with a senior resident on site.",
        "by": by,
    }
    fields.update(extra)
    return entrustment_decision_record(**fields)


def test_the_committee_records_a_decision_that_rests_on_named_assessments(obs, committee_member):
    a = observed(obs)
    decision = decide(obs, committee_member, evidence_ids=[a.pk])
    assert decision.status == EntrustmentDecision.Status.DRAFT
    assert decision.is_current
    assert list(decision.evidence.all()) == [a]
    assert decision.level == Decimal("4")


def test_a_new_decision_becomes_current_and_the_earlier_stays(obs, committee_member):
    first = decide(obs, committee_member, level="3")
    second = decide(obs, committee_member, level="4")
    first.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    assert EntrustmentDecision.objects.count() == 2


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"level": "6"}, "level"),
        ({"level": "3.5"}, "level"),
        ({"level": "high"}, "level"),
        ({"rationale": "  "}, "rationale"),
        ({"decided_on": TODAY + dt.timedelta(days=1)}, "decided_on"),
        ({"conditions": "x" * 2001}, "conditions"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(obs, committee_member, extra, field):
    with pytest.raises(ValidationError) as caught:
        decide(obs, committee_member, **extra)
    assert field in caught.value.message_dict
    assert not EntrustmentDecision.objects.exists()


def test_a_milestone_item_or_a_learner_elsewhere_is_refused(obs, committee_member, other_learner):
    with pytest.raises(ValidationError) as caught:
        decide(obs, committee_member, competency_id=obs.subs[0].pk)
    assert "competency" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        decide(obs, committee_member, learner_id=other_learner.pk)
    assert "learner" in caught.value.message_dict
    assert not EntrustmentDecision.objects.exists()


def test_evidence_must_be_this_learners_assessments_of_this_epa(obs, committee_member):
    other_epa = observation_record(
        assessor=obs.assessor,
        learner_id=obs.learner.pk,
        ratings=[RatingInput(obs.epas[1].pk, "2")],
        observed_on=TODAY,
        submission_key=uuid.uuid4(),
    ).assessments[0]
    with pytest.raises(ValidationError) as caught:
        decide(obs, committee_member, evidence_ids=[other_epa.pk])
    assert "evidence" in caught.value.message_dict
    assert not EntrustmentDecision.objects.exists()


def test_sign_off_shows_it_to_the_learner_once(obs, committee_member, director):
    decision = decide(obs, committee_member)
    client = Client()
    client.force_login(obs.learner)
    assert "Daytime only" not in client.get("/programs/reviews/").content.decode()

    entrustment_decision_sign_off(decision=decision, by=director)
    with pytest.raises(EntrustmentConflictError):
        entrustment_decision_sign_off(decision=decision, by=director)
    page = client.get("/programs/reviews/").content.decode()
    assert "Daytime only, with a senior resident on site." in page
    assert Notification.objects.filter(
        recipient=obs.learner, dedupe_key=f"entrustment:{decision.pk}:signed-off"
    ).exists()


# --- Pages ----------------------------------------------------------------------------------


def test_the_committee_page_records_and_the_director_signs_off(obs, committee_member, director):
    a = observed(obs)
    url = f"/programs/{obs.program.pk}/learners/{obs.learner.pk}/entrustment/"
    member = Client()
    member.force_login(committee_member)
    page = member.get(url)
    assert page.status_code == 200
    assert AccessLog.objects.filter(
        learner=obs.learner, viewer=committee_member, item_type="entrustmentdecisions"
    ).exists()
    sent = member.post(
        url,
        {
            "competency": obs.epas[0].pk,
            "level": "4",
            "decided_on": TODAY.isoformat(),
            "rationale": "Consistent 4s.",
            "conditions": "",
            "evidence": [a.pk],
        },
    )
    assert sent.status_code == 302
    decision = EntrustmentDecision.objects.get()
    assert "Sign off this decision" not in member.get(url).content.decode()  # not a director

    boss = Client()
    boss.force_login(director)
    assert "Sign off this decision" in boss.get(url).content.decode()
    boss.post(f"/programs/{obs.program.pk}/entrustment/{decision.pk}/sign-off/")
    decision.refresh_from_db()
    assert decision.is_signed_off and decision.signed_off_by == director


def test_a_bad_level_on_the_page_says_so_and_writes_nothing(obs, committee_member):
    url = f"/programs/{obs.program.pk}/learners/{obs.learner.pk}/entrustment/"
    member = Client()
    member.force_login(committee_member)
    sent = member.post(
        url,
        {
            "competency": obs.epas[0].pk,
            "level": "9",
            "decided_on": TODAY.isoformat(),
            "rationale": "Consistent.",
        },
        follow=True,
    )
    assert "9 is not on the" in sent.content.decode()
    assert not EntrustmentDecision.objects.exists()


@pytest.mark.parametrize("size", [1, 5])
def test_the_committee_page_runs_a_constant_number_of_queries(obs, committee_member, size):
    for i in range(size):
        a = observed(obs, level=str(1 + i % 5))
        decide(obs, committee_member, level=str(1 + i % 5), evidence_ids=[a.pk])
        decide(obs, committee_member, competency_id=obs.epas[1].pk)
    url = f"/programs/{obs.program.pk}/learners/{obs.learner.pk}/entrustment/"
    client = Client()
    client.force_login(committee_member)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # Expect 12 queries at any size: * session * user * the program with the viewer's rights
    # * the navigation's roles (those two in one round trip on PostgreSQL) * the enrollment
    # with the learner * the EPAs with their frameworks and scales * the scales' levels * the
    # decisions * their evidence * the learner's assessments of those EPAs * the access-log
    # INSERT * the header's unread count.
    assert len(queries) == 12, [q["sql"][:90] for q in queries]


# --- API --------------------------------------------------------------------------------------


def test_the_api_records_signs_off_and_the_learner_reads_it(obs, committee_member, director):
    api = APIClient()
    api.force_authenticate(committee_member)
    base = f"/api/v1/programs/{obs.program.pk}/learners/{obs.learner.pk}/entrustment-decisions/"
    bad = api.post(
        base,
        {"competency": obs.epas[0].pk, "level": "7", "decided_on": TODAY, "rationale": "x"},
        format="json",
    )
    assert bad.status_code == 400 and "level" in bad.json()
    assert not EntrustmentDecision.objects.exists()
    made = api.post(
        base,
        {
            "competency": obs.epas[0].pk,
            "level": "4",
            "decided_on": TODAY,
            "rationale": "Consistent 4s.",
            "conditions": "Daytime only.",
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    decision_id = made.json()["id"]

    api.force_authenticate(obs.learner)
    assert api.get("/api/v1/me/entrustment-decisions/").json() == []

    api.force_authenticate(committee_member)
    sign = f"/api/v1/programs/{obs.program.pk}/entrustment-decisions/{decision_id}/sign-off/"
    assert api.post(sign).status_code == 404  # only the director signs off
    api.force_authenticate(director)
    assert api.post(sign).status_code == 200
    assert api.post(sign).status_code == 409

    api.force_authenticate(obs.learner)
    [mine] = api.get("/api/v1/me/entrustment-decisions/").json()
    assert (mine["level"], mine["conditions"], mine["status"]) == (
        "4.0",
        "Daytime only.",
        "signed_off",
    )


@pytest.mark.parametrize("size", [1, 5])
def test_the_learners_list_and_page_run_a_constant_number_of_queries(
    obs, committee_member, director, size
):
    for i in range(size):
        a = observed(obs, level=str(1 + i % 5))
        for epa in obs.epas[:2]:
            decision = decide(
                obs,
                committee_member,
                competency_id=epa.pk,
                evidence_ids=[a.pk] if epa == obs.epas[0] else [],
            )
            entrustment_decision_sign_off(decision=decision, by=director)
    api = APIClient()
    api.force_authenticate(obs.learner)
    with CaptureQueriesContext(connection) as queries:
        rows = api.get("/api/v1/me/entrustment-decisions/").json()
    assert len(rows) == 2 * size
    # Expect 2 queries at any size: * the decisions with EPA, program and people * their
    # evidence with scale and assessor.
    assert len(queries) == 2, [q["sql"][:90] for q in queries]

    client = Client()
    client.force_login(obs.learner)
    client.get("/programs/reviews/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/programs/reviews/").status_code == 200
    # Expect 6 queries at any size: * session * user * the navigation's roles * the signed-off
    # reviews * the decisions * their evidence * the header's unread count.
    assert len(queries) == 7, [q["sql"][:90] for q in queries]


@pytest.mark.parametrize("size", [1, 5])
def test_the_committees_api_list_runs_a_constant_number_of_queries(obs, committee_member, size):
    for i in range(size):
        a = observed(obs, level=str(1 + i % 5))
        decide(obs, committee_member, evidence_ids=[a.pk])
    api = APIClient()
    api.force_authenticate(committee_member)
    url = f"/api/v1/programs/{obs.program.pk}/learners/{obs.learner.pk}/entrustment-decisions/"
    with CaptureQueriesContext(connection) as queries:
        assert len(api.get(url).json()) == size
    # Expect 5 queries at any size: * the program, if the caller reviews it * the learner's
    # enrollment there * the decisions with EPA, program and people * their evidence * the
    # access-log INSERT.
    assert len(queries) == 5, [q["sql"][:90] for q in queries]

"""The entrustment form records one decision per rendered page (core.once)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from assessments.services.observations import RatingInput, observation_record
from assessments.tests.factories import *  # noqa: F403
from committee.models import EntrustmentDecision
from tests import factories
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_an_entrustment_decision_sent_twice_from_one_page_is_one_decision(client, obs):
    member = factories.UserFactory(email="committee@example.org")
    factories.ProgramRoleFactory(user=member, program=obs.program, role="committee")
    today = dt.date.today()
    seen = observation_record(
        assessor=obs.assessor,
        learner_id=obs.learner.pk,
        ratings=[RatingInput(obs.epas[0].pk, "3")],
        went_well="Led the family meeting calmly.",
        next_step="Check understanding before closing.",
        observed_on=today - dt.timedelta(days=3),
        submission_key=uuid.uuid4(),
    ).assessments[0]
    client.force_login(member)
    url = f"/programs/{obs.program.pk}/learners/{obs.learner.pk}/entrustment/"
    data = {
        "competency": obs.epas[0].pk,
        "level": "4",
        "decided_on": today.isoformat(),
        "rationale": "Consistent 4s.",
        "conditions": "",
        "evidence": [seen.pk],
    }
    where = assert_created_once(
        client, url, data, EntrustmentDecision.objects.count, "entrustment decision"
    )
    assert where == f"{url}#epa-{obs.epas[0].pk}"

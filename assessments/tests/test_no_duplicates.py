"""The observation pages' create forms create once per rendered page (core.once)."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentRequest
from assessments.tests.factories import *  # noqa: F403
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_an_observation_request_sent_twice_from_one_page_is_one_request(client, obs):
    client.force_login(obs.learner)
    data = {
        "assessor": obs.assessor.pk,
        "epa": obs.epas[2].pk,
        "setting": "emergency",
        "case_type": "abdominal pain",
        "encounter_on": timezone.localdate().isoformat(),
        "client_token": str(uuid.uuid4()),
    }
    assert_created_once(
        client,
        "/assessments/requests/new/",
        data,
        AssessmentRequest.objects.count,
        "observation request",
        fresh_creates=False,  # the form's own client token also holds it to one
    )


def test_an_observation_sent_twice_from_one_page_is_one_observation(client, obs):
    client.force_login(obs.assessor)
    url = f"/assessments/observe/{obs.learner.pk}/"
    data = {
        "competency": [obs.subs[0].pk],
        f"level-{obs.subs[0].pk}": "2.5",
        "went_well": "Examined systematically.",
        "next_step": "Start with the sickest patient.",
        "setting": "ward",
        "observed_on": timezone.localdate().isoformat(),
        "submission_key": str(uuid.uuid4()),
    }
    assert_created_once(
        client,
        url,
        data,
        Assessment.objects.count,
        "observation",
        page=f"{url}?competency={obs.subs[0].pk}",
        fresh_creates=False,  # its submission key also holds it to one
    )

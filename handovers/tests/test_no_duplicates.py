"""The handover form creates one draft per rendered page (core.once)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from handovers.models import Handover
from tests import factories as base
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_the_handover_form_sent_twice_makes_one_draft(client, learner):
    residency = base.ProgramFactory(name="Northbridge IM residency")
    client.force_login(learner)
    where = assert_created_once(
        client,
        reverse("handover-create"),
        {"program": residency.pk, "include_goals": "on", "note": "Hello"},
        Handover.objects.count,
        "handover",
    )
    assert where == reverse("handover-detail", args=[Handover.objects.earliest("pk").public_id])

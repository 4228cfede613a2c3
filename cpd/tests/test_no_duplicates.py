"""The CPD diary's create forms create once per rendered page (core.once)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cpd.models import CpdActivity, LicensingCycle
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_an_activity_sent_twice_from_one_page_is_one_activity(client, learner, leaves):
    client.force_login(learner)
    data = {
        "occurred_on": "2026-06-01",
        "title": "Ultrasound course",
        "provider": "",
        "credit_type": "ama-pra-category-1",
        "hours": "6",
        "competencies": [leaves[0].pk],
    }
    assert_created_once(
        client, reverse("cpd-activity-create"), data, CpdActivity.objects.count, "CPD activity"
    )


def test_a_cycle_sent_twice_from_one_page_is_one_cycle(client, learner):
    client.force_login(learner)
    data = {
        "name": "State licence",
        "start_date": "2026-01-01",
        "length_months": 24,
        "credits_required": "50",
        "category_1_required": "20",
    }
    assert_created_once(
        client, reverse("cpd-cycles"), data, LicensingCycle.objects.count, "licensing cycle"
    )

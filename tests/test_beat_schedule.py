"""Periodic work survives a lost message: every digest runs again through its window (claimed
once per person and period, so again sends nothing twice), and every job kind written as rows
first has a sweeper running every minute."""

from __future__ import annotations

import pytest
from django.conf import settings

DIGESTS = [
    "notifications.daily_digests_send",
    "coaching.coach_digests_send",
    "learning.visit_digests_send",
]
SWEEPERS = [
    "notifications.notifications_sweep",
    "portfolio.transfers_sweep",
    "learning.fhir_pulls_sweep",
]


def _entry(task: str) -> dict:
    return next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task)


@pytest.mark.parametrize("task", DIGESTS)
def test_a_digest_runs_again_later_in_its_window(task):
    schedule = _entry(task)["schedule"]
    assert len(schedule.hour) >= 5, f"{task} runs at {sorted(schedule.hour)} only"


@pytest.mark.parametrize("task", SWEEPERS)
def test_a_sweeper_runs_every_minute(task):
    assert _entry(task)["schedule"] == 60.0

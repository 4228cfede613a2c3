"""Celery tasks: thin wrappers that take keys and call the delivery services.

Each is safe to run twice (see notifications/delivery.py for how digests are claimed).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from coaching import digests


@shared_task(name="coaching.coach_digests_send", ignore_result=True)
def coach_digests_send(period_start: str | None = None) -> int:
    """Beat, weekly: each coach's digest of the week that just ended; once per coach and week."""
    start = dt.date.fromisoformat(period_start) if period_start else None
    return digests.coach_digests_send(period_start=start)


@shared_task(name="coaching.reminders_send", ignore_result=True)
def reminders_send() -> dict[str, int]:
    """Beat, daily: check in before a review, overdue goals, meetings tomorrow."""
    return digests.reminders_send()

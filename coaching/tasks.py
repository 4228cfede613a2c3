"""Celery tasks: thin wrappers that take keys and call the delivery services.

Each is safe to run twice (see coaching/delivery.py for how the claims work).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from coaching import delivery, digests


@shared_task(
    name="coaching.notification_deliver",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=4,
)
def notification_deliver(notification_id: int) -> None:
    """Email one notification; then send anything an earlier outage left behind."""
    delivery.notification_email_deliver(notification_id=notification_id)
    delivery.notifications_sweep()


@shared_task(name="coaching.notifications_sweep", ignore_result=True)
def notifications_sweep() -> int:
    """Beat, every minute: the outbox sweeper."""
    return delivery.notifications_sweep()


@shared_task(name="coaching.daily_digests_send", ignore_result=True)
def daily_digests_send(day: str | None = None) -> int:
    """Beat, daily: one email per person with the notifications they chose to get daily."""
    return delivery.daily_digests_send(day=dt.date.fromisoformat(day) if day else None)


@shared_task(name="coaching.coach_digests_send", ignore_result=True)
def coach_digests_send(period_start: str | None = None) -> int:
    """Beat, weekly: each coach's digest of the week that just ended; once per coach and week."""
    start = dt.date.fromisoformat(period_start) if period_start else None
    return digests.coach_digests_send(period_start=start)


@shared_task(name="coaching.reminders_send", ignore_result=True)
def reminders_send() -> dict[str, int]:
    """Beat, daily: check in before a review, overdue goals, meetings tomorrow."""
    return digests.reminders_send()

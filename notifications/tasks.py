"""Celery tasks: thin wrappers that take keys and call the delivery services.

Each is safe to run twice (see notifications/delivery.py for how the claims work).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from notifications import delivery


@shared_task(
    name="notifications.notification_deliver",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=4,
)
def notification_deliver(notification_id: int) -> None:
    """Email one notification; then send anything an earlier outage left behind."""
    delivery.notification_email_deliver(notification_id=notification_id)
    delivery.notifications_sweep()


@shared_task(name="notifications.notifications_sweep", ignore_result=True)
def notifications_sweep() -> int:
    """Beat, every minute: the outbox sweeper."""
    return delivery.notifications_sweep()


@shared_task(name="notifications.daily_digests_send", ignore_result=True)
def daily_digests_send(day: str | None = None) -> int:
    """Beat, daily: one email per person with the notifications they chose to get daily."""
    return delivery.daily_digests_send(day=dt.date.fromisoformat(day) if day else None)

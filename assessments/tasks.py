"""Celery tasks for assessments: thin wrappers that take keys and call services.

Each is safe to run twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from assessments.services import feedback, observations, rotations

logger = logging.getLogger(__name__)


@shared_task(name="assessments.observation_requests_remind", ignore_result=True)
def observation_requests_remind(day: str | None = None) -> int:
    """Beat, hourly: remind assessors of overdue requests, at most once per request per day."""
    return observations.observation_requests_remind(
        today=dt.date.fromisoformat(day) if day else None
    )


@shared_task(name="assessments.rotation_evaluations_send", ignore_result=True)
def rotation_evaluations_send() -> int:
    """Beat, hourly: ask supervising faculty to evaluate the blocks that ended (local time).
    The block's state row is the guard, so a second run or a second worker sends nothing."""
    return rotations.rotation_evaluations_send()


@shared_task(name="assessments.feedback_email_send", ignore_result=True)
def feedback_email_send(request_id: int) -> bool:
    """Email one feedback link to its rater (claimed first, so a second run sends nothing)."""
    return feedback.feedback_email_deliver(request_id=request_id)


@shared_task(name="assessments.feedback_emails_sweep", ignore_result=True)
def feedback_emails_sweep() -> int:
    """Beat: send the feedback links whose task was lost (broker down at commit)."""
    sent = 0
    for request_id in feedback.feedback_emails_unsent(older_than=dt.timedelta(seconds=60)):
        try:
            sent += feedback.feedback_email_deliver(request_id=request_id)
        except Exception:  # one bad address must not stop the sweep; it is retried next time
            logger.warning("feedback email %s failed; it is tried again", request_id)
    return sent

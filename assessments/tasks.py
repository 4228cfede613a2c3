"""Celery tasks for assessments: thin wrappers that take keys and call services.

Each is safe to run twice.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from assessments.services import observations, rotations


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

"""Celery tasks of privacy: thin wrappers around privacy.services."""

from __future__ import annotations

import dataclasses

from celery import shared_task

from privacy import services


@shared_task(name="privacy.retention_enforce", ignore_result=True)
def retention_enforce() -> dict[str, int]:
    """Beat, nightly: apply the retention periods. Safe to run twice (the second run finds
    nothing left to do)."""
    return dataclasses.asdict(services.retention_enforce())

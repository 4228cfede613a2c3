"""Celery tasks: thin wrappers that take keys, load, and call learning.services.

All are safe to run twice: digests are claimed once per learner and day; pulls are job rows
taken once (learning/pulls.py) and upsert visits by FHIR resource id.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.signals import worker_ready

from learning import pulls, services


@shared_task(name="learning.visit_digests_send", ignore_result=True)
def visit_digests_send(day: str | None = None) -> int:
    """Beat, every evening: the digest for tomorrow's clinics (or `day`, ISO format)."""
    return services.visit_digests_send(day=dt.date.fromisoformat(day) if day else None)


@shared_task(name="learning.fhir_sources_pull", ignore_result=True)
def fhir_sources_pull() -> int:
    """Beat, hourly: write one pull per learner linked to an active FHIR server (rows first:
    learning/pulls.py) and send each after commit."""
    return pulls.fhir_pulls_start_all()


@shared_task(name="learning.fhir_pull", ignore_result=True, acks_late=True)
def fhir_pull(pull_id: int) -> int:
    """Run one pull job; a second message for the same job finds it taken and does nothing."""
    pull = pulls.fhir_pull_run(pull_id=pull_id)
    return pull.kept if pull is not None else 0


@shared_task(name="learning.fhir_pulls_sweep", ignore_result=True)
def fhir_pulls_sweep() -> int:
    """Beat, every minute, and each worker at start: pulls whose message was lost go again."""
    return pulls.fhir_pulls_sweep()


@worker_ready.connect
def _sweep_at_worker_start(**kwargs: object) -> None:
    # A worker that starts after an outage picks up the pulls that waited for it.
    fhir_pulls_sweep.delay()

from __future__ import annotations

from celery import shared_task

from xapi.services.retention import statements_prune_unclaimed


@shared_task(name="xapi.statements_prune_unclaimed", ignore_result=True)
def prune_unclaimed_statements() -> int:
    """Beat, daily: drop statements about nobody in Continuum once their period is over."""
    return statements_prune_unclaimed()

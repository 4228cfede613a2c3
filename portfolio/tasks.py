"""Celery tasks for the portable portfolio. Thin: they take primary keys and call transfer.py,
which records progress on the job row and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready

from portfolio import transfer


@shared_task(acks_late=True)
def portfolio_export_task(transfer_id: int) -> None:
    transfer.portfolio_export_run(transfer_id=transfer_id)


@shared_task(acks_late=True)
def portfolio_import_task(transfer_id: int) -> None:
    transfer.portfolio_import_run(transfer_id=transfer_id)


@shared_task(name="portfolio.transfers_sweep", ignore_result=True)
def portfolio_transfers_sweep() -> int:
    """Beat, every minute, and each worker at start: jobs whose message was lost go again."""
    return transfer.transfers_sweep()


@worker_ready.connect
def _sweep_at_worker_start(**kwargs: object) -> None:
    # A worker that starts after an outage picks up what waited for it.
    portfolio_transfers_sweep.delay()

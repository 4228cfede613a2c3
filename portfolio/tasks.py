"""Celery tasks for the portable portfolio. Thin: they take primary keys and call transfer.py,
which records progress on the job row and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from portfolio import transfer


@shared_task(acks_late=True)
def portfolio_export_task(transfer_id: int) -> None:
    transfer.portfolio_export_run(transfer_id=transfer_id)


@shared_task(acks_late=True)
def portfolio_import_task(transfer_id: int) -> None:
    transfer.portfolio_import_run(transfer_id=transfer_id)

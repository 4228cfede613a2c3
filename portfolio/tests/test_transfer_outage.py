"""Exports and imports are rows first and messages second: with the broker down the request
still answers at once, and the job runs once the broker is back (the sweeper sends it again),
exactly once however many messages arrive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from portfolio import transfer
from portfolio.models import PortfolioTransfer
from portfolio.tasks import portfolio_export_task
from portfolio.tests.factories import EvidenceFactory
from tests.redis_server import RedisServer, celery_on, free_port, wait_until, worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(monkeypatch, settings, tmp_path) -> Iterator[RedisServer]:
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    settings.MEDIA_ROOT = tmp_path
    server = RedisServer(free_port())
    server.start()
    try:
        with celery_on(server):
            yield server
    finally:
        server.stop()


def _later() -> dt.datetime:
    return timezone.now() + transfer.REQUEUE_AFTER + dt.timedelta(seconds=1)


def test_an_export_asked_for_while_the_broker_is_down_runs_once_it_is_back(client, learner, broker):
    EvidenceFactory(learner=learner)
    client.force_login(learner)
    broker.stop()
    response = client.post("/api/v1/exports/")
    assert response.status_code == 202
    job = PortfolioTransfer.objects.get()
    assert job.status == PortfolioTransfer.Status.PENDING
    broker.start()
    with worker():
        assert transfer.transfers_sweep(now=_later()) == 1
        assert wait_until(lambda: PortfolioTransfer.objects.get().status == "done")
    job.refresh_from_db()
    assert job.archive and job.claimed_at is not None


def test_a_job_whose_message_arrives_twice_runs_once(learner, broker):
    EvidenceFactory(learner=learner)
    job = transfer.portfolio_export_start(learner=learner)  # the first message
    with worker():
        portfolio_export_task.apply_async((job.pk,))  # a second one, as a retry would send
        assert wait_until(lambda: PortfolioTransfer.objects.get().status == "done")
    # Whoever came second found the job taken: one archive, written once.
    assert transfer.portfolio_export_run(transfer_id=job.pk) is None
    assert PortfolioTransfer.objects.get().archive.name.endswith(".zip")


def test_a_claim_left_by_a_dead_worker_is_freed_and_the_job_sent_again(learner, broker):
    job = transfer.portfolio_export_start(learner=learner)
    PortfolioTransfer.objects.filter(pk=job.pk).update(
        status="running", claimed_at=timezone.now() - transfer.STALE_CLAIM_AFTER * 2
    )
    # Swept before any worker runs: the job's first message, still queued, must not race
    # the sweep for it (either message then runs it, once).
    assert transfer.transfers_sweep(now=_later()) == 1
    with worker():
        assert wait_until(lambda: PortfolioTransfer.objects.get().status == "done")

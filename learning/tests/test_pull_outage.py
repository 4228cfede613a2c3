"""FHIR pulls are rows first and messages second: a pull written while the broker is down, or
whose queued message dies with the broker, runs once the broker is back (the sweeper sends
it again), and runs once however many messages arrive — nothing doubled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from learning import pulls
from learning.models import FhirPull, UpcomingVisit
from learning.tasks import fhir_pull
from learning.tests import test_digest_and_pull as pull_tests
from tests.redis_server import RedisServer, celery_on, free_port, wait_until, worker

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# The FHIR server on loopback and the learner's link to it, from the pull tests.
fhir_server = pull_tests.fhir_server
link = pull_tests.link
_pages = pull_tests._pages


@pytest.fixture
def broker(monkeypatch) -> Iterator[RedisServer]:
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    server = RedisServer(free_port())
    server.start()
    try:
        with celery_on(server):
            yield server
    finally:
        server.stop()


def _later() -> dt.datetime:
    return timezone.now() + pulls.REQUEUE_AFTER + dt.timedelta(seconds=1)


def _done() -> bool:
    return FhirPull.objects.get().status == FhirPull.Status.DONE


def test_a_pull_written_while_the_broker_is_down_runs_once_it_is_back(
    link, fhir_server, learner, broker
):
    server, base = fhir_server
    server.pages = _pages(base)
    broker.stop()
    # As beat would: the row is written and the call returns, the broker's state whatever.
    assert pulls.fhir_pulls_start_all() == 1
    assert FhirPull.objects.get().status == FhirPull.Status.PENDING
    # Asked again while it waits: the open pull is the one that will run.
    assert pulls.fhir_pulls_start_all() == 0
    broker.start()
    with worker():
        assert pulls.fhir_pulls_sweep(now=_later()) == 1
        assert wait_until(_done)
    assert FhirPull.objects.get().kept == 3
    assert UpcomingVisit.objects.filter(learner=learner).count() == 3


def test_a_queued_pull_lost_with_the_broker_runs_once_after_a_sweep(
    link, fhir_server, learner, broker
):
    server, base = fhir_server
    server.pages = _pages(base)
    assert pulls.fhir_pulls_start_all() == 1  # its message now waits in Redis
    pull = FhirPull.objects.get()
    broker.stop()  # a broker without persistence: the queued message dies with it
    broker.start()
    with worker():
        assert FhirPull.objects.get().status == FhirPull.Status.PENDING  # nothing came
        assert pulls.fhir_pulls_sweep(now=_later()) == 1
        assert wait_until(_done)
        assert pulls.fhir_pulls_sweep(now=_later()) == 0  # nothing waits any more
    # A late copy of the message, as a retry would deliver, finds the pull finished.
    assert fhir_pull.apply((pull.pk,)).get() == 0
    assert pulls.fhir_pull_run(pull_id=pull.pk) is None
    # Two pages fetched once: no second fetch, no new rows.
    assert len(server.seen) == 2
    assert UpcomingVisit.objects.filter(learner=learner).count() == 3


def test_a_pull_left_running_by_a_dead_worker_is_freed_and_run_again(
    link, fhir_server, learner, broker
):
    server, base = fhir_server
    server.pages = _pages(base)
    pull = FhirPull.objects.create(
        link=link,
        status=FhirPull.Status.RUNNING,
        claimed_at=timezone.now() - pulls.STALE_CLAIM_AFTER * 2,
    )
    FhirPull.objects.filter(pk=pull.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert pulls.fhir_pulls_sweep() == 1
    with worker():
        assert wait_until(_done)
    assert UpcomingVisit.objects.filter(learner=learner).count() == 3

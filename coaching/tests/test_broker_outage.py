"""Against a real Redis broker that the test stops and starts: nothing is lost, nothing doubled.

Each test runs its own redis-server on a free port (the shared one is never touched) and a
real Celery worker thread consuming from it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import transaction
from django.utils import timezone

from coaching.models import Digest, Frequency, Kind, Notification
from coaching.services import notification_preference_set, notification_send
from coaching.tasks import daily_digests_send, notifications_sweep
from coaching.tests.redis_server import RedisServer, celery_on, free_port
from config.celery import app
from tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(monkeypatch) -> Iterator[RedisServer]:
    # System checks belong to `manage.py check`; a worker thread need not rerun them.
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    server = RedisServer(free_port())
    server.start()
    try:
        with celery_on(server):
            yield server
    finally:
        server.stop()


def wait_until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def worker():
    return start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    )


def test_with_the_broker_down_a_write_succeeds_and_its_email_goes_out_once_it_is_back(broker):
    person = UserFactory()
    broker.stop()

    started = time.monotonic()
    with transaction.atomic():
        notification = notification_send(
            recipient=person, kind=Kind.COMMENT, title="New comment on your goal"
        )
    # The commit returned promptly even though queueing failed.
    assert time.monotonic() - started < 5
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.PENDING
    assert mail.outbox == []

    broker.start()
    # A minute later the sweeper runs (beat), on a real worker.
    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with worker():
        notifications_sweep.delay()
        assert wait_until(lambda: len(mail.outbox) >= 1), "the pending email was never sent"
        notifications_sweep.delay()  # a second sweep must not send it again
        assert wait_until(lambda: not Notification.objects.filter(email_status="pending").exists())
        time.sleep(0.5)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [person.email]
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT


def test_with_the_broker_up_the_email_is_sent_by_the_worker_after_commit(broker):
    person = UserFactory()
    with worker():
        with transaction.atomic():
            notification_send(recipient=person, kind=Kind.MEETING, title="Meeting moved")
            time.sleep(0.2)
            assert mail.outbox == []  # nothing is queued before the commit
        assert wait_until(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].subject.endswith("Meeting moved")


def test_the_daily_digest_task_run_twice_on_a_real_worker_sends_one_email(broker):
    person = UserFactory()
    notification_preference_set(user=person, kind=Kind.COMMENT, frequency=Frequency.DAILY)
    for n in range(3):
        notification_send(recipient=person, kind=Kind.COMMENT, title=f"Comment {n}")
    day = timezone.localdate().isoformat()
    with worker():
        daily_digests_send.delay(day)
        daily_digests_send.delay(day)
        assert wait_until(lambda: Digest.objects.filter(status="sent").exists())
        # The second run is queued behind the first on one slot; let it finish too.
        time.sleep(0.5)
    assert len(mail.outbox) == 1
    assert all(f"Comment {n}" in mail.outbox[0].body for n in range(3))
    assert Digest.objects.count() == 1

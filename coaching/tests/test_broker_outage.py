"""Against a real Redis broker that the test stops and starts: nothing is lost, nothing doubled.

Each test runs its own redis-server on a free port (the shared one is never touched) and a
real Celery worker thread consuming from it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from coaching import services
from coaching.digests import week_start
from coaching.models import CoachingRelationship
from coaching.selectors import target_visible_to
from coaching.tasks import coach_digests_send
from notifications.models import Digest, Frequency, Kind, Notification
from notifications.services import notification_preference_set, notification_send
from notifications.tasks import daily_digests_send, notifications_sweep
from portfolio.models import Goal
from portfolio.tests.factories import GoalFactory
from tests.factories import UserFactory
from tests.redis_server import RedisServer, celery_on, free_port, wait_until, worker

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


def save_comment(learner, coach):
    """The coach comments on a shared goal: the learner is to be told."""
    goal = GoalFactory(learner=learner)
    target = target_visible_to(viewer=coach, target_type="goal", pk=goal.pk)
    services.comment_post(author=coach, target=target, body="Nice progress.")
    return learner


def save_goal(learner, coach):
    """The learner confirms a meeting's action item, which saves a goal: the coach is told."""
    meeting = services.meeting_schedule(
        coach=coach, relationship=CoachingRelationship.objects.get(), starts_at=timezone.now()
    )
    item = services.action_item_propose(meeting=meeting, by=coach, title="Lead a huddle")
    Notification.objects.all().delete()
    services.action_item_confirm(item=item, by=learner)
    assert Goal.objects.filter(learner=learner, title="Lead a huddle").exists()
    return coach


@pytest.mark.parametrize("write", [save_comment, save_goal], ids=["comment", "goal"])
def test_with_the_broker_down_a_write_succeeds_and_its_email_goes_out_once_it_is_back(
    broker, coaching, learner, coach, write
):
    mail.outbox.clear()
    Notification.objects.all().delete()
    broker.stop()

    started = time.monotonic()
    with transaction.atomic():
        recipient = write(learner, coach)
    # The commit returned promptly even though queueing failed.
    assert time.monotonic() - started < 5
    notification = Notification.objects.get(recipient=recipient)
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
    assert mail.outbox[0].to == [recipient.email]
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


def test_the_coach_digest_task_run_twice_on_a_real_worker_sends_one_email(
    broker, coaching, learner, coach
):
    with worker():
        save_comment(learner, coach)
        week = week_start(timezone.localdate()).isoformat()
        coach_digests_send.delay(week)
        coach_digests_send.delay(week)
        assert wait_until(lambda: Digest.objects.filter(status="sent").exists())
        time.sleep(0.5)
    digests = [m for m in mail.outbox if "Your coachees" in m.subject]
    assert [m.to for m in digests] == [[coach.email]]
    assert "Nice progress." in digests[0].body

"""The notification outbox: inbox rows, preferences, after-commit email, digests, sweeper."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from coaching.tests.factories import NotificationFactory
from notifications import delivery
from notifications.models import Digest, Frequency, Kind, Notification
from notifications.services import notification_preference_set, notification_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def send(recipient, **overrides):
    fields = {
        "recipient": recipient,
        "kind": Kind.COMMENT,
        "title": "Dr Coach commented on your goal",
        "body": "Nice plan.",
        "url": "/goals/1/",
    }
    fields.update(overrides)
    return notification_send(**fields)


def test_a_notification_is_in_the_inbox_and_emailed_after_the_commit(
    learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = send(learner)
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [learner.email]
    assert "commented on your goal" in message.subject
    assert "Nice plan." in message.body
    assert "/goals/1/" in message.body


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_notification_and_sends_nothing():
    person = UserFactory()
    with pytest.raises(Rollback), transaction.atomic():
        send(person)
        raise Rollback
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_the_same_dedupe_key_gives_one_notification_and_one_email(
    learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = send(learner, dedupe_key="goal-overdue:7:2025-01-01")
        second = send(learner, dedupe_key="goal-overdue:7:2025-01-01")
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_off_keeps_the_notification_in_the_inbox_without_email(
    learner, django_capture_on_commit_callbacks
):
    notification_preference_set(user=learner, kind=Kind.COMMENT, frequency=Frequency.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(learner)
    assert notification.email_status == Notification.EmailStatus.SKIPPED
    assert mail.outbox == []
    assert list(Notification.objects.filter(recipient=learner)) == [notification]


def test_a_preference_for_one_kind_leaves_other_kinds_alone(
    learner, django_capture_on_commit_callbacks
):
    notification_preference_set(user=learner, kind=Kind.COMMENT, frequency=Frequency.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        send(learner, kind=Kind.MEETING, title="Meeting on Tuesday")
    assert [m.subject for m in mail.outbox] == ["[Continuum] Meeting on Tuesday"]


def test_unknown_kind_or_external_url_is_refused(learner):
    with pytest.raises(ValueError):
        send(learner, kind="spam")
    with pytest.raises(ValueError):
        send(learner, url="https://evil.example/")


def test_summary_kinds_cannot_be_set_to_daily(learner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        notification_preference_set(user=learner, kind=Kind.COACH_DIGEST, frequency=Frequency.DAILY)


def test_daily_notifications_wait_and_go_out_together_once_per_day(
    learner, django_capture_on_commit_callbacks
):
    notification_preference_set(user=learner, kind=Kind.COMMENT, frequency=Frequency.DAILY)
    with django_capture_on_commit_callbacks(execute=True):
        send(learner, title="First comment")
        send(learner, title="Second comment")
    assert mail.outbox == []
    day = timezone.localdate()

    assert delivery.daily_digests_send(day=day) == 1
    assert delivery.daily_digests_send(day=day) == 0  # the same day again: nothing

    assert len(mail.outbox) == 1
    assert "First comment" in mail.outbox[0].body
    assert "Second comment" in mail.outbox[0].body
    assert set(Notification.objects.values_list("email_status", flat=True)) == {"sent"}
    assert Digest.objects.get().status == Digest.Status.SENT


def test_a_failed_digest_is_retried_and_then_sent_once(learner):
    notification_preference_set(user=learner, kind=Kind.COMMENT, frequency=Frequency.DAILY)
    send(learner, title="Waiting")
    day = timezone.localdate()
    with mock.patch("notifications.delivery.send_mail", side_effect=OSError("smtp down")):
        assert delivery.daily_digests_send(day=day) == 0
    assert Digest.objects.get().status == Digest.Status.FAILED
    assert mail.outbox == []

    assert delivery.daily_digests_send(day=day + dt.timedelta(days=1)) == 1
    assert delivery.daily_digests_send(day=day + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1
    assert "Waiting" in mail.outbox[0].body


def test_two_deliveries_of_the_same_notification_send_one_email(learner):
    notification = NotificationFactory(recipient=learner)
    assert delivery.notification_email_deliver(notification_id=notification.pk) is True
    assert delivery.notification_email_deliver(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_email_stays_pending_for_the_sweeper(learner):
    notification = NotificationFactory(recipient=learner)
    with (
        mock.patch("notifications.delivery.send_mail", side_effect=OSError("smtp down")),
        pytest.raises(OSError),
    ):
        delivery.notification_email_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.PENDING
    assert notification.email_attempts == 1

    later = timezone.now() + dt.timedelta(minutes=1)
    assert delivery.notifications_sweep(now=later) == 1
    assert len(mail.outbox) == 1


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over(learner):
    long_ago = timezone.now() - dt.timedelta(hours=1)
    notification = NotificationFactory(
        recipient=learner,
        email_status=Notification.EmailStatus.SENDING,
        claimed_at=long_ago,
        created_at=long_ago,
    )
    assert delivery.notifications_sweep() == 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT


def test_when_the_broker_refuses_the_write_succeeds_and_the_sweeper_delivers_once(
    learner, django_capture_on_commit_callbacks
):
    with (
        mock.patch(
            "notifications.tasks.notification_deliver.apply_async",
            side_effect=ConnectionError("broker down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = send(learner)
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.PENDING
    assert mail.outbox == []

    later = timezone.now() + dt.timedelta(minutes=1)
    assert delivery.notifications_sweep(now=later) == 1
    assert delivery.notifications_sweep(now=later) == 0
    assert len(mail.outbox) == 1


def test_the_sweeper_leaves_fresh_rows_to_their_own_task(learner):
    NotificationFactory(recipient=learner)
    assert delivery.notifications_sweep() == 0
    assert mail.outbox == []


def test_an_inactive_person_is_not_emailed(django_capture_on_commit_callbacks):
    person = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(person)
    assert notification.email_status == Notification.EmailStatus.SKIPPED
    assert mail.outbox == []


def test_a_digest_left_sending_by_a_dead_worker_is_sent_by_a_later_run(learner):
    notification_preference_set(user=learner, kind=Kind.COMMENT, frequency=Frequency.DAILY)
    send(learner, title="Waiting")
    day = timezone.localdate()
    # A worker claimed the digest and died before sending it.
    claim = delivery.digest_claim(recipient=learner, kind=Digest.DigestKind.DAILY, period_start=day)
    Notification.objects.filter(recipient=learner).update(digest=claim.digest)
    assert delivery.daily_digests_send(day=day) == 0  # still claimed: nothing yet
    # Fifteen minutes on, the sweeper marks the claim failed, and the next run sends it.
    later = timezone.now() + delivery.STALE_CLAIM + dt.timedelta(seconds=1)
    delivery.notifications_sweep(now=later)
    assert Digest.objects.get().status == Digest.Status.FAILED
    assert delivery.daily_digests_send(day=day) == 1
    assert delivery.daily_digests_send(day=day) == 0
    assert len(mail.outbox) == 1 and "Waiting" in mail.outbox[0].body
    assert Digest.objects.get().status == Digest.Status.SENT

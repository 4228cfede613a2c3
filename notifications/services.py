"""Writing notifications: the outbox entry point every app calls, read marks, and preferences.

`notification_send` writes the row inside the caller's transaction and asks for delivery
only after the commit. If the broker is down at that moment the row simply stays pending;
the sweeper (Celery beat) or the next delivery task that does run picks it up. The app sits
just above accounts, so every domain app may call it.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications.models import (
    SUMMARY_KINDS,
    Digest,
    Frequency,
    Kind,
    Notification,
    NotificationPreference,
)
from notifications.selectors import preference_of
from notifications.tasks import notification_deliver

logger = logging.getLogger(__name__)

TITLE_MAX = 200
BODY_MAX = 4000
URL_MAX = 500
DEDUPE_MAX = 200


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notification_preference_set(*, user: User, kind: str, frequency: str) -> None:
    """Record how `user` wants to hear about `kind`. Summary kinds are either on or off."""
    if kind not in Kind.values:
        raise ValidationError({"kind": f"Unknown kind “{kind}”."})
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": f"Unknown frequency “{frequency}”."})
    if kind in SUMMARY_KINDS and frequency == Frequency.DAILY:
        raise ValidationError({"frequency": "This email is already a summary: on or off."})
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"frequency": frequency}
    )


def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user).unread().update(read_at=timezone.now())


def _email_status_for(*, recipient: User, kind: str) -> str:
    if not recipient.is_active or not recipient.email:
        return Notification.EmailStatus.SKIPPED
    frequency = preference_of(user=recipient, kind=kind)
    if frequency == Frequency.OFF:
        return Notification.EmailStatus.SKIPPED
    if frequency == Frequency.DAILY:
        return Notification.EmailStatus.DIGEST
    return Notification.EmailStatus.PENDING


def notification_send(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str = "",
) -> Notification:
    """Put a notification in `recipient`'s inbox and email it per their preference.

    Call it inside the transaction that makes the change it announces: the row commits or
    rolls back with that change. The email is queued only after the commit; if queueing
    fails (broker down) the change still succeeds and the sweeper sends it later. With a
    `dedupe_key`, calling again for the same recipient returns the first row and sends
    nothing more. `body` is plain text (never HTML); `url` is a path inside the site.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if url and (not url.startswith("/") or url.startswith("//") or "\\" in url):
        raise ValueError("url must be a path inside the site, starting with a single /")
    dedupe_key = dedupe_key[:DEDUPE_MAX]
    if dedupe_key:
        existing = Notification.objects.filter(recipient=recipient, dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    status = _email_status_for(recipient=recipient, kind=kind)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=_truncate(title, TITLE_MAX),
                body=_truncate(body, BODY_MAX),
                url=url[:URL_MAX],
                dedupe_key=dedupe_key,
                email_status=status,
            )
    except IntegrityError:
        # Another transaction wrote the same dedupe key between our check and insert.
        if not dedupe_key:
            raise
        return Notification.objects.get(recipient=recipient, dedupe_key=dedupe_key)
    if status == Notification.EmailStatus.PENDING:
        transaction.on_commit(partial(enqueue_delivery, notification.pk))
    return notification


def enqueue_delivery(notification_id: int) -> bool:
    """Hand one notification to the broker. Never raises: the outbox keeps it if this fails."""
    try:
        # No publish retries: a request must not hang on a dead broker; the sweeper retries.
        notification_deliver.apply_async((notification_id,), retry=False)
    except Exception:
        logger.warning("could not queue notification %s; the sweeper will send it", notification_id)
        return False
    return True


@transaction.atomic
def notifications_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): the person's inbox, digests and preferences go with them."""
    Notification.objects.filter(recipient=user).delete()
    Digest.objects.filter(recipient=user).delete()
    NotificationPreference.objects.filter(user=user).delete()


@transaction.atomic
def notifications_expire(*, before: dt.datetime) -> int:
    """Retention (docs/privacy.md): delete inbox rows written before `before` whose email is
    settled, and digests of periods before it (a digest is only ever retried within a week).
    Safe to run twice. Returns the notifications deleted."""
    deleted, _ = (
        Notification.objects.filter(created_at__lt=before)
        .exclude(
            email_status__in=[Notification.EmailStatus.PENDING, Notification.EmailStatus.SENDING]
        )
        .delete()
    )
    Digest.objects.filter(period_start__lt=before.date()).exclude(
        status=Digest.Status.SENDING
    ).delete()
    return int(deleted)

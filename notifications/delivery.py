"""Sending what the outbox holds: single emails, the daily digest, the sweeper.

Every function here is safe to run twice, concurrently or after a crash:
- a notification's email is claimed with a conditional UPDATE (pending → sending); only the
  caller that changed the row sends it;
- a digest is claimed by inserting its (person, kind, period) row under a unique key; a
  failed one is re-claimed by a conditional UPDATE (failed → sending).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from notifications.models import Digest, Notification
from notifications.zones import digest_day, time_zones_of

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5
# A claim older than this belongs to a worker that died mid-send; it may be taken over.
STALE_CLAIM = dt.timedelta(minutes=15)
# The sweeper leaves fresh rows to the task queued on commit.
SWEEP_GRACE = dt.timedelta(seconds=30)
SWEEP_BATCH = 200


def site_url(path: str) -> str:
    base = getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}{path}" if path else base


def email_subject(text: str) -> str:
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "[Continuum] ")
    return f"{prefix}{text}".replace("\n", " ")[:200]


def notification_email_deliver(*, notification_id: int) -> bool:
    """Email one pending notification, once. Returns whether this call sent it."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, email_status=Notification.EmailStatus.PENDING
    ).update(
        email_status=Notification.EmailStatus.SENDING,
        claimed_at=now,
        email_attempts=F("email_attempts") + 1,
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    context = {"notification": notification, "link": site_url(notification.url)}
    try:
        send_mail(
            subject=email_subject(notification.title),
            message=render_to_string("notifications/email/notification.txt", context),
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        gave_up = notification.email_attempts >= MAX_EMAIL_ATTEMPTS
        Notification.objects.filter(pk=notification_id).update(
            email_status=(
                Notification.EmailStatus.FAILED if gave_up else Notification.EmailStatus.PENDING
            ),
            claimed_at=None,
        )
        raise
    Notification.objects.filter(pk=notification_id).update(
        email_status=Notification.EmailStatus.SENT, emailed_at=timezone.now()
    )
    return True


def notifications_sweep(
    *, now: dt.datetime | None = None, grace: dt.timedelta = SWEEP_GRACE
) -> int:
    """Send every pending email the queue missed (broker outage, dead worker). Returns the
    number sent."""
    now = now or timezone.now()
    # Claims abandoned by a dead worker go back to pending.
    Notification.objects.filter(
        email_status=Notification.EmailStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(email_status=Notification.EmailStatus.PENDING, claimed_at=None)
    # So do digests: failed, the next digest run (hourly through its window) tries again.
    Digest.objects.filter(status=Digest.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=Digest.Status.FAILED
    )
    pending = list(
        Notification.objects.email_pending()
        .filter(created_at__lte=now - grace)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    sent = 0
    for pk in pending:
        try:
            sent += notification_email_deliver(notification_id=pk)
        except Exception:
            logger.exception("sending notification %s failed; it stays pending", pk)
    return sent


# --- Digests --------------------------------------------------------------------------------


@dataclass
class Claim:
    digest: Digest
    first: bool  # True when this call inserted the row (as opposed to re-claiming a failed one)


def digest_claim(*, recipient: User, kind: str, period_start: dt.date) -> Claim | None:
    """Take the right to send `recipient`'s digest for the period, or None if someone has it."""
    try:
        with transaction.atomic():
            digest = Digest.objects.create(
                recipient=recipient,
                kind=kind,
                period_start=period_start,
                status=Digest.Status.SENDING,
                attempts=1,
                claimed_at=timezone.now(),
            )
        return Claim(digest=digest, first=True)
    except IntegrityError:
        pass
    retaken = Digest.objects.filter(
        recipient=recipient,
        kind=kind,
        period_start=period_start,
        status=Digest.Status.FAILED,
        attempts__lt=MAX_EMAIL_ATTEMPTS,
    ).update(status=Digest.Status.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now())
    if not retaken:
        return None
    return Claim(
        digest=Digest.objects.get(recipient=recipient, kind=kind, period_start=period_start),
        first=False,
    )


def digest_send(*, digest: Digest, subject: str, body: str) -> None:
    """Email a claimed digest and record the outcome; a failure leaves it to be retried."""
    Digest.objects.filter(pk=digest.pk).update(subject=subject[:200], body=body)
    try:
        send_mail(
            subject=email_subject(subject),
            message=body,
            from_email=None,
            recipient_list=[digest.recipient.email],
        )
    except Exception:
        Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.FAILED)
        raise
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENT, sent_at=timezone.now())


def daily_digest_send(*, recipient: User, day: dt.date) -> bool:
    """Send `recipient` one email with the notifications they asked to get daily. At most
    one per person and day, however often this runs. Returns whether it sent."""
    claim = digest_claim(recipient=recipient, kind=Digest.DigestKind.DAILY, period_start=day)
    if claim is None:
        return False
    digest = claim.digest
    if claim.first:
        Notification.objects.filter(
            recipient=recipient,
            email_status=Notification.EmailStatus.DIGEST,
            digest__isnull=True,
        ).update(digest=digest)
    items = list(digest.notifications.order_by("created_at", "id"))
    if not items:
        Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.EMPTY)
        return False
    body = render_to_string(
        "notifications/email/daily_digest.txt",
        {
            "recipient": recipient,
            "items": [(n, site_url(n.url)) for n in items],
            "day": day,
            "inbox": site_url("/coaching/inbox/"),
        },
    )
    subject = f"{len(items)} update{'s' if len(items) != 1 else ''} for you"
    digest_send(digest=digest, subject=subject, body=body)
    digest.notifications.update(
        email_status=Notification.EmailStatus.SENT, emailed_at=timezone.now()
    )
    return True


def daily_digests_send(*, day: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """The hourly run: everyone with notifications waiting for a digest whose local day's
    digest is due (`notifications.zones`), plus failed digests of the last week. `day` sends
    that day's digest to everyone waiting, whatever their clock (a manual run). Returns how
    many emails went out."""
    now = now or timezone.now()
    waiting = set(
        Notification.objects.filter(
            email_status=Notification.EmailStatus.DIGEST, digest__isnull=True
        )
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    retry_since = (day or timezone.localdate(now)) - dt.timedelta(days=7)
    retry = list(
        Digest.objects.filter(
            kind=Digest.DigestKind.DAILY,
            status=Digest.Status.FAILED,
            period_start__gte=retry_since,
        ).values_list("recipient_id", "period_start")
    )
    jobs: list[tuple[int, dt.date]] = list(retry)
    if day is not None:
        jobs += [(pk, day) for pk in waiting]
    else:
        for pk, zone in time_zones_of(waiting).items():
            due = digest_day(now, zone)
            if due is not None:
                jobs.append((pk, due))
    sent = 0
    people = User.objects.in_bulk({pk for pk, _ in jobs})
    for recipient_id, period in jobs:
        person = people.get(recipient_id)
        if person is None:
            continue
        try:
            sent += daily_digest_send(recipient=person, day=period)
        except Exception:
            logger.exception("daily digest for %s failed; it will be retried", recipient_id)
    return sent

"""Reads of notifications and preferences: each person's are their own only."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from core.db import Read
from notifications.models import (
    Frequency,
    Kind,
    Notification,
    NotificationPreference,
    NotificationQuerySet,
)


def notifications_of(*, user: User) -> NotificationQuerySet:
    """The person's own notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


_UNREAD_SQL = f"""
SELECT count(*) FROM {Notification._meta.db_table} WHERE recipient_id = %s AND read_at IS NULL
"""  # noqa: S608 — the table name is ours


def unread_count(*, user: User) -> int:
    """How many of the person's notifications are unread: one COUNT on a partial index."""
    return unread_count_read(user=user).run()


def unread_count_read(*, user: User) -> Read[int]:
    """`unread_count` as a read, for a page that reads the header's number beside its own
    statements in one round trip (`read_together`)."""
    return Read(_UNREAD_SQL, [user.pk], _first_number)


def _first_number(rows: list[tuple[Any, ...]]) -> int:
    return int(rows[0][0])


def recipients_with_key(*, recipient_ids: list[int], dedupe_key: str) -> set[int]:
    """Which of these people already hold a notification with `dedupe_key` (one query): a
    caller that sends to many learns who would get nothing new."""
    return set(
        Notification.objects.filter(
            recipient_id__in=recipient_ids, dedupe_key=dedupe_key
        ).values_list("recipient_id", flat=True)
    )


def preference_of(*, user: User, kind: str) -> str:
    """How `user` wants to hear about `kind`; immediately unless they chose otherwise."""
    frequency = (
        NotificationPreference.objects.filter(user=user, kind=kind)
        .values_list("frequency", flat=True)
        .first()
    )
    return frequency or Frequency.IMMEDIATELY


def preferences_of(*, user: User) -> dict[str, str]:
    """Every kind with the person's choice, defaults filled in. One query."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind.value: chosen.get(kind.value, Frequency.IMMEDIATELY) for kind in Kind}

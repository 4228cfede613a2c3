"""Writes to the audit log: one function every app calls after an administrative change."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models

from audit.models import AuditEvent

if TYPE_CHECKING:
    from accounts.models import User


def _plain(value: Any) -> Any:
    """JSON-ready values: dates, decimals and ids as text, containers walked."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.date | dt.datetime | dt.time | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    target_label: str = "",
    institution_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `action` is `<noun>.<verb>` (`program_role.grant`); `before` and
    `after` hold the fields that changed, as the caller saw them. Called inside the caller's
    transaction, so the change and its record commit together or not at all (one INSERT, so
    it needs no savepoint of its own)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:300],
        institution_id=institution_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )

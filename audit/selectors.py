"""Who reads the audit log: superusers all of it; an institution administrator the events of
the institutions they administer; nobody else any of it.

Which institutions a person administers is a role in `programs`, a layer above this one: the
pages that show the log (programs.audit_log) look it up and pass the ids in."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from audit.models import AuditEvent, AuditEventQuerySet

if TYPE_CHECKING:
    from accounts.models import User


def may_read_audit_log(*, user: User, institution_ids: Collection[int] = ()) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return bool(user.is_superuser or institution_ids)


def audit_events_visible_to(
    *, user: User, institution_ids: Collection[int] = (), action: str = ""
) -> AuditEventQuerySet:
    """The events `user` may read, newest first: every event for a superuser, those of
    `institution_ids` (the institutions `user` administers) for an institution administrator,
    none for anyone else. Events that name no institution are for superusers only."""
    if not may_read_audit_log(user=user, institution_ids=institution_ids):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.all()
    if not user.is_superuser:
        events = events.filter(institution_id__in=list(institution_ids))
    if action:
        events = events.filter(action=action)
    return events.order_by("-at", "-id")

"""Who reads the audit log: institution administrators (superusers), and nobody else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.models import AuditEvent, AuditEventQuerySet

if TYPE_CHECKING:
    from accounts.models import User


def may_read_audit_log(*, user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def audit_events_visible_to(*, user: User, action: str = "") -> AuditEventQuerySet:
    """The events `user` may read, newest first; empty for anyone but an administrator."""
    if not may_read_audit_log(user=user):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    return events.order_by("-at", "-id")

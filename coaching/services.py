"""Writes for coaching. Other apps notify people through `notification_send` (see
docs/coaching.md)."""

from __future__ import annotations

from coaching.notifications import notification_preference_set, notification_send

__all__ = ["notification_preference_set", "notification_send"]

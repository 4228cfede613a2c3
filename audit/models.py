"""The audit log of administration: who changed what in the institution's set-up, and when.

A record, never edited: no service changes or deletes a row, the admin and the API only read,
and on PostgreSQL a trigger refuses UPDATE and DELETE on the table (migration 0001).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("The audit log is never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is never deleted from.")


class AuditEvent(models.Model):
    """One administrative change: actor, action, target, and the state before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # No database constraint and no cascade: the record outlives the account that made it,
    # and deleting a person must not rewrite history (the trigger would refuse it anyway).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True, help_text="As it was then.")
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    institution_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or 'system'} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("The audit log is never changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("The audit log is never deleted from.")

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field either side names, for reading on a page."""
        before = self.before if isinstance(self.before, dict) else {}
        after = self.after if isinstance(self.after, dict) else {}
        return [(key, before.get(key), after.get(key)) for key in sorted({*before, *after})]

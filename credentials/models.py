"""Issuer keys and the Open Badges credentials an institution issued (docs/credentials.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The Bitstring Status List's minimum length (16 KB), so one list hides which entry is whose.
STATUS_LIST_BITS = 131_072


class IssuerKey(models.Model):
    """One Ed25519 key of an institution's issuer. The private key stays in the database and
    is never served; a rotated key is retired, not deleted, so what it signed stays verifiable."""

    institution = models.ForeignKey(
        "programs.Institution", on_delete=models.CASCADE, related_name="+"
    )
    key_id = models.CharField(max_length=60)
    private_key = models.BinaryField()
    public_multibase = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["institution", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "key_id"], name="uniq_issuer_key_id"),
            models.UniqueConstraint(
                fields=["institution"],
                condition=models.Q(retired_at__isnull=True),
                name="one_active_issuer_key",
            ),
        ]

    def __str__(self) -> str:
        return self.key_id


class StatusList(models.Model):
    """An institution's revocation list: the next free index (never reused, even after a
    credential row is erased) and the revoked indexes of credentials no longer on file."""

    institution = models.OneToOneField(
        "programs.Institution", on_delete=models.CASCADE, related_name="+"
    )
    next_index = models.PositiveIntegerField(default=0)
    revoked_erased = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"status list of {self.institution_id}"


class Credential(models.Model):
    """The signed `OpenBadgeCredential` issued for one signed-off entrustment decision."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    decision = models.OneToOneField(
        "committee.EntrustmentDecision", on_delete=models.CASCADE, related_name="+"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credentials"
    )
    institution = models.ForeignKey(
        "programs.Institution", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=300)
    status_index = models.PositiveIntegerField()
    document = models.JSONField()
    issued_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "status_index"], name="uniq_credential_status_index"
            ),
            models.CheckConstraint(
                condition=models.Q(status_index__lt=STATUS_LIST_BITS),
                name="credential_status_index_in_list",
            ),
        ]

    def __str__(self) -> str:
        return self.title

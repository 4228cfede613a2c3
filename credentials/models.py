"""Issuer keys and the Open Badges credentials an institution issued (docs/credentials.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The Bitstring Status List's minimum length (16 KB), so one list hides which entry is whose.
STATUS_LIST_BITS = 131_072


REVOCATION_REASON_MAX = 500


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
    """The signed `OpenBadgeCredential` issued for one achievement: a signed-off entrustment
    decision, or a graduation-level milestone achievement (the consensus rating that reached
    the program's graduation target, `committee.achievements`; one per learner, program and
    sub-competency, named by `achievement`)."""

    class Kind(models.TextChoices):
        ENTRUSTMENT = "entrustment", "Entrustment decision"
        MILESTONE = "milestone", "Graduation-level milestone"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ENTRUSTMENT)
    decision = models.OneToOneField(
        "committee.EntrustmentDecision",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    consensus = models.OneToOneField(
        "committee.ConsensusRating",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The program that signed it off (the director who may revoke it).
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # `milestone:<program id>:<competency id>` for a milestone achievement: one credential each.
    achievement = models.CharField(max_length=80, blank=True)
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
    revocation_reason = models.CharField(max_length=REVOCATION_REASON_MAX, blank=True)

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
            models.CheckConstraint(
                condition=(
                    models.Q(kind="entrustment", decision__isnull=False, consensus__isnull=True)
                    | models.Q(kind="milestone", decision__isnull=True, consensus__isnull=False)
                    & ~models.Q(achievement="")
                ),
                name="credential_names_its_achievement",
            ),
            models.UniqueConstraint(
                fields=["learner", "achievement"],
                condition=~models.Q(achievement=""),
                name="uniq_credential_per_achievement",
            ),
        ]

    def __str__(self) -> str:
        return self.title

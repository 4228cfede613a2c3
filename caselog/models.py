"""The procedure and case log: what a learner did, in which role, under whom, counted against
the minimum numbers their program sets. No patient identifiers: the patient is an age band
and a sex, nothing else (docs/caselog.md)."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

# A run of seven or more digits (spaces, dots or hyphens between them allowed), or the
# letters MRN followed by a number: how most hospitals' medical record numbers look. An
# institution sets its own pattern (CaseLogSettings) when its numbers look different.
DEFAULT_MRN_PATTERN = r"\b\d(?:[ .-]?\d){6,}\b|\bMRN\s*[:#]?\s*\w*\d"
MRN_PATTERN_MAX = 300


def validate_pattern(value: str) -> None:
    if len(value) > MRN_PATTERN_MAX:
        raise ValidationError(f"Keep the pattern under {MRN_PATTERN_MAX} characters.")
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(f"Not a regular expression: {error}.") from error


class CaseLogSettings(models.Model):
    """An institution's rule for what a medical record number looks like, which log entries
    are checked against. Without a row, DEFAULT_MRN_PATTERN applies."""

    institution = models.OneToOneField(
        "programs.Institution", on_delete=models.CASCADE, related_name="+"
    )
    mrn_pattern = models.CharField(
        "medical record number pattern",
        max_length=MRN_PATTERN_MAX,
        default=DEFAULT_MRN_PATTERN,
        validators=[validate_pattern],
        help_text="A Python regular expression; a log entry whose site or notes match it is "
        "refused. Matched without regard to case.",
    )

    class Meta:
        verbose_name = "case log settings"
        verbose_name_plural = "case log settings"

    def __str__(self) -> str:
        return f"Case log settings of institution {self.institution_id}"


class Procedure(models.Model):
    """A procedure or case type on a program's list, with its code (the one the accreditation
    system uses) and the minimum number a learner must log before they finish."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    # Entries counted towards it: verified, performed or supervised (docs/caselog.md).
    minimum = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["program", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="uniq_procedure_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CaseLogEntry(models.Model):
    """One procedure or case the learner took part in."""

    class Role(models.TextChoices):
        OBSERVED = "observed", "Observed"
        ASSISTED = "assisted", "Assisted"
        PERFORMED = "performed", "Performed"
        SUPERVISED = "supervised", "Supervised"

    # The roles that count towards a procedure's minimum.
    COUNTED_ROLES = (Role.PERFORMED, Role.SUPERVISED)

    class AgeBand(models.TextChoices):
        NEONATE = "neonate", "Newborn (under 28 days)"
        INFANT = "infant", "Infant (under 1 year)"
        CHILD = "child", "Child (1–12)"
        ADOLESCENT = "adolescent", "Adolescent (13–17)"
        ADULT = "adult", "Adult (18–64)"
        OLDER = "older", "Older adult (65 and over)"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other or not recorded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_log_entries"
    )
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="entries")
    performed_on = models.DateField()
    role = models.CharField(max_length=20, choices=Role.choices)
    site = models.CharField(max_length=120, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervised_case_logs"
    )
    age_band = models.CharField(max_length=20, choices=AgeBand.choices)
    sex = models.CharField(max_length=10, choices=Sex.choices)
    notes = models.TextField(blank=True, max_length=2000)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verified_case_logs",
    )
    # The form's or client's token: a double submit logs one entry.
    client_token = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-id"]
        verbose_name_plural = "case log entries"
        indexes = [
            models.Index(fields=["learner", "performed_on"]),
            models.Index(
                fields=["supervisor", "performed_on"],
                condition=Q(verified_at__isnull=True),
                name="caselog_awaiting_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | Q(verified_by__isnull=False),
                name="caselog_verified_has_verifier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} on {self.performed_on}"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

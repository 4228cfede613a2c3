from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from frameworks.models import Competency, Framework


class CheckIn(models.Model):
    """A batch of self-assessments recorded together. `client_token` makes retries idempotent."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    client_token = models.UUIDField(default=uuid.uuid4, unique=True)
    # The framework the page was opened for; empty for check-ins spanning several (API, imports).
    framework = models.ForeignKey(
        Framework, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Check-in by {self.learner} at {self.created_at:%Y-%m-%d}"


class SelfAssessment(models.Model):
    """A learner's own rating of one competency on one date. Never overwritten."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="self_assessments"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    note = models.TextField(blank=True, max_length=2000)
    assessed_on = models.DateField()
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="items"
    )
    evidence = models.ManyToManyField(
        "portfolio.Evidence", blank=True, related_name="self_assessments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at", "-id"]
        indexes = [models.Index(fields=["learner", "competency", "assessed_on"])]

    def __str__(self) -> str:
        return f"{self.learner} self-rated {self.competency.code} {self.level}"


class Assessment(models.Model):
    """A rating by someone else. A record: the learner can respond, never edit."""

    class Source(models.TextChoices):
        OBSERVATION = "observation", "Observation"
        REQUEST = "request", "Requested observation"
        COMMITTEE = "committee", "Committee"
        IMPORT = "import", "Imported"

    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="assessments_given",
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments_received"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    went_well = models.TextField(blank=True, max_length=2000)
    next_step = models.TextField(blank=True, max_length=2000)
    context = models.CharField(max_length=300, blank=True)
    observed_on = models.DateField()
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.OBSERVATION)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-observed_on", "-created_at"]
        indexes = [
            models.Index(fields=["learner", "competency", "observed_on"]),
            models.Index(fields=["assessor", "observed_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.assessor} rated {self.learner} {self.competency.code} {self.level}"

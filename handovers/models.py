"""A handover: what a learner chooses to show the program they move to, sent with consent.

The learner builds it from their record, previews exactly what will be shown (the `content`
snapshot) and sends it; the receiving program's reviewers read only what was sent, every read
lands in the learner's access log, and the learner can withdraw it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from programs.models import Program


class Handover(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (only you see it)"
        SENT = "sent", "Sent"
        WITHDRAWN = "withdrawn", "Withdrawn"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handovers"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="handovers")
    note = models.TextField(blank=True, max_length=2000)
    include_levels = models.BooleanField(default=True)
    include_goals = models.BooleanField(default=True)
    evidence = models.ManyToManyField("portfolio.Evidence", blank=True, related_name="+")
    # Exactly what the preview shows and the program reads: built from the record when the
    # draft is saved or refreshed, frozen once sent.
    content = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["program", "status", "sent_at"])]

    def __str__(self) -> str:
        return f"Handover of {self.learner} to {self.program}"

    @property
    def label(self) -> str:
        return f"Handover to {self.program.name}"

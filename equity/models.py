"""Self-identified characteristics (opt-in, the learner's own) and the equity analyses built
from them: stored fits per scope and category, and each assessor's private signal.

Nobody but the learner reads a `Characteristic`; everything else in this app is an aggregate
that passed the small-cell rules of `equity.suppression` (docs/equity.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CharacteristicCategory(models.Model):
    """A question the institution chooses to ask (gender, first-generation status…). None
    exist until the institution configures one: the feature is off by default."""

    institution = models.ForeignKey(
        "programs.Institution", on_delete=models.CASCADE, related_name="+"
    )
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["institution", "order", "name"]
        verbose_name_plural = "characteristic categories"
        constraints = [
            models.UniqueConstraint(fields=["institution", "key"], name="uniq_category_key")
        ]

    def __str__(self) -> str:
        return self.name


class CharacteristicOption(models.Model):
    """One answer a category offers. "Prefer not to say" is always offered besides these."""

    category = models.ForeignKey(
        CharacteristicCategory, on_delete=models.CASCADE, related_name="options"
    )
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category", "order", "label"]
        constraints = [models.UniqueConstraint(fields=["category", "key"], name="uniq_option_key")]

    def __str__(self) -> str:
        return self.label


class Characteristic(models.Model):
    """A learner's own answer in one category: an option, or "prefer not to say". Read only
    by its owner; it feeds aggregates and nothing else."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        CharacteristicCategory, on_delete=models.CASCADE, related_name="answers"
    )
    option = models.ForeignKey(
        CharacteristicOption, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    prefer_not_to_say = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category__order", "category__name"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "category"], name="uniq_characteristic"),
            models.CheckConstraint(
                condition=(Q(option__isnull=True) & Q(prefer_not_to_say=True))
                | (Q(option__isnull=False) & Q(prefer_not_to_say=False)),
                name="characteristic_option_or_prefer_not",
            ),
        ]

    def __str__(self) -> str:
        return f"Characteristic #{self.pk}"  # never the answer: admin lists and logs show this


class CharacteristicUse(models.Model):
    """That a learner's answer was counted in an aggregate (an equity fit): shown to the
    learner as an aggregate use, never as someone reading their answer."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(CharacteristicCategory, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=240, help_text="The program or institution analysed.")
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-used_at", "-id"]
        indexes = [models.Index(fields=["learner", "-used_at"])]

    def __str__(self) -> str:
        return f"use #{self.pk}"


class EquityFit(models.Model):
    """The stored equity analysis of one scope (a program, or a whole institution when
    `program` is empty) and one category: cells and estimates as JSON, fitted by a task after a
    period closes and never on a page request. `computed_at` is the freshness stamp."""

    institution = models.ForeignKey(
        "programs.Institution", on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(CharacteristicCategory, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)
    data_through = models.DateField(help_text="The end of the last closed period counted.")
    cells = models.JSONField(default=list)
    estimates = models.JSONField(default=list)
    periods = models.JSONField(default=list)
    groups = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "category"],
                condition=Q(program__isnull=False),
                name="uniq_equity_fit_program",
            ),
            models.UniqueConstraint(
                fields=["institution", "category"],
                condition=Q(program__isnull=True),
                name="uniq_equity_fit_institution",
            ),
        ]

    def __str__(self) -> str:
        return f"equity fit #{self.pk}"


class AssessorSignal(models.Model):
    """One assessor's own comparison: whether their ratings differ by group beyond their
    colleagues', per category in one program. Shown only to that assessor."""

    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(CharacteristicCategory, on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)
    rows = models.JSONField(default=list)

    class Meta:
        ordering = ["program", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessor", "program", "category"], name="uniq_assessor_signal"
            )
        ]

    def __str__(self) -> str:
        return f"assessor signal #{self.pk}"

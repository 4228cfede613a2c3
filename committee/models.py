"""The committee's records: one review per learner and period, and its consensus ratings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from frameworks.models import Competency
from programs.models import ReviewPeriod


class LearnerReview(models.Model):
    """One learner's committee review in one period: consensus ratings, sign-off, response."""

    class Status(models.TextChoices):
        DRAFT = "draft", "In committee"
        SIGNED_OFF = "signed_off", "Signed off"

    period = models.ForeignKey(ReviewPeriod, on_delete=models.CASCADE, related_name="reviews")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="committee_reviews"
    )
    # The learner's training year during the period, kept so later roster changes do not
    # rewrite what the committee compared against.
    training_year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(blank=True, max_length=4000)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    learner_response = models.TextField(blank=True, max_length=4000)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "learner"]
        constraints = [
            models.UniqueConstraint(fields=["period", "learner"], name="uniq_review_per_period")
        ]
        indexes = [models.Index(fields=["learner", "status"])]

    def __str__(self) -> str:
        return f"Review of {self.learner} · {self.period.name}"

    @property
    def is_signed_off(self) -> bool:
        return self.status == self.Status.SIGNED_OFF


class ConsensusRatingQuerySet(models.QuerySet["ConsensusRating"]):
    def current(self) -> ConsensusRatingQuerySet:
        return self.filter(is_current=True)


class ConsensusRating(models.Model):
    """The committee's level for one sub-competency in one review. A record: changes add a
    version (with a reason once signed off); earlier versions stay."""

    review = models.ForeignKey(LearnerReview, on_delete=models.CASCADE, related_name="ratings")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    rationale = models.TextField(max_length=4000)
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    amendment_reason = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ConsensusRatingQuerySet.as_manager()

    class Meta:
        ordering = ["review", "competency", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "competency", "version"], name="uniq_consensus_version"
            ),
            models.UniqueConstraint(
                fields=["review", "competency"],
                condition=Q(is_current=True),
                name="uniq_current_consensus",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competency.code} {self.level} (v{self.version})"

    @property
    def is_amendment(self) -> bool:
        return bool(self.amendment_reason)


class EntrustmentDecisionQuerySet(models.QuerySet["EntrustmentDecision"]):
    def current(self) -> EntrustmentDecisionQuerySet:
        return self.filter(is_current=True)


class EntrustmentDecision(models.Model):
    """The committee's decision that a learner is entrusted with one EPA at a level: on a
    date, resting on named assessments (and any other evidence, in words), under conditions.

    A record: a later decision for the same learner and EPA becomes the current one and the
    earlier ones stay. Recorded by the committee as a draft; the program director signs it
    off, and from then the learner sees it (`committee.entrustment`)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "In committee"
        SIGNED_OFF = "signed_off", "Signed off"

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entrustment_decisions"
    )
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    decided_on = models.DateField()
    rationale = models.TextField(max_length=4000)
    conditions = models.TextField(blank=True, max_length=2000)
    evidence = models.ManyToManyField(
        "assessments.Assessment", blank=True, related_name="entrustment_decisions"
    )
    evidence_note = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    is_current = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    objects = EntrustmentDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["program", "learner", "competency", "-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "learner", "competency"],
                condition=Q(is_current=True),
                name="uniq_current_entrustment",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_off_at__isnull=False),
                name="signed_off_entrustment_has_date",
            ),
        ]
        indexes = [models.Index(fields=["learner", "status"])]

    def __str__(self) -> str:
        return f"{self.competency.code} entrusted at {self.level} on {self.decided_on}"

    @property
    def is_signed_off(self) -> bool:
        return self.status == self.Status.SIGNED_OFF

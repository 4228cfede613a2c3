"""Precision learning: the resource catalogue, learners' feedback on it, and upcoming visits.

Upcoming visits come from FHIR and keep only what the matching needs — a date, reason codes
and their display text. Nothing that identifies a patient is ever stored here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from frameworks.models import Competency
from programs.models import Institution

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# A "short refresher" before clinic fits in a coffee break.
SHORT_MINUTES = 20


REASON_MAX = 500


class CodeSystem(models.TextChoices):
    SNOMED = SNOMED, "SNOMED CT"
    ICD10CM = ICD10CM, "ICD-10-CM"


class LearningResourceQuerySet(models.QuerySet["LearningResource"]):
    def active(self) -> LearningResourceQuerySet:
        return self.filter(is_active=True)

    def with_tags(self) -> LearningResourceQuerySet:
        """Competencies (with their framework) and clinical codes in two extra queries."""
        return self.prefetch_related("competencies__framework", "codes")


class LearningResource(models.Model):
    """One item of the catalogue: something to read, watch, do or practise."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        VIDEO = "video", "Video"
        MODULE = "module", "Module"
        SIMULATION = "simulation", "Simulation"
        QUESTIONS = "questions", "Question set"
        GUIDELINE = "guideline", "Guideline"

    key = models.SlugField(
        max_length=80, unique=True, help_text="Stable identifier; imports update by key."
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=4000)
    url = models.URLField(blank=True, max_length=500)
    file = models.FileField(upload_to="learning/resources/", blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    cme_credit = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="CME credit hours awarded on completion (0 when none).",
    )
    competencies = models.ManyToManyField(Competency, related_name="learning_resources", blank=True)
    level_min = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    level_max = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    stages = models.JSONField(
        default=list,
        blank=True,
        help_text="Audience stages (ume, gme, fellowship, cpd); empty = all.",
    )
    keywords = models.CharField(
        max_length=400, blank=True, help_text="Extra words for matching visit reasons by text."
    )
    reviewed_on = models.DateField(
        null=True, blank=True, help_text="When the content was last written or checked."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LearningResourceQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level_min__isnull=True)
                | Q(level_max__isnull=True)
                | Q(level_min__lte=models.F("level_max")),
                name="learning_resource_level_range",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def fits_stage(self, stage: str | None) -> bool:
        return not self.stages or stage is None or stage in self.stages

    def level_distance(self, level: Decimal) -> Decimal:
        """How far a level lies outside this resource's range (0 inside or without a range)."""
        if self.level_min is not None and level < self.level_min:
            return self.level_min - level
        if self.level_max is not None and level > self.level_max:
            return level - self.level_max
        return Decimal(0)

    @property
    def is_short(self) -> bool:
        return self.duration_minutes is not None and self.duration_minutes <= SHORT_MINUTES

    def level_range_label(self) -> str:
        low = _level(self.level_min) if self.level_min is not None else None
        high = _level(self.level_max) if self.level_max is not None else None
        if low is None and high is None:
            return "any level"
        if high is None:
            return f"level {low} and up"
        if low is None:
            return f"up to level {high}"
        return f"level {low}" if low == high else f"levels {low}–{high}"


def _level(value: Decimal) -> str:
    """2.0 → '2', 2.50 → '2.5'."""
    return f"{value.normalize():f}"


class ResourceCode(models.Model):
    """A clinical code a resource is about (SNOMED CT concept or ICD-10-CM code)."""

    resource = models.ForeignKey(LearningResource, on_delete=models.CASCADE, related_name="codes")
    system = models.CharField(max_length=60, choices=CodeSystem.choices)
    code = models.CharField(max_length=20)
    display = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["resource", "system", "code"]
        indexes = [models.Index(fields=["system", "code"])]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "system", "code"], name="uniq_learning_resource_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.code}"


class CodePair(models.Model):
    """A SNOMED CT concept and an ICD-10-CM code the catalogue treats as the same condition."""

    snomed_code = models.CharField(max_length=20)
    icd10_code = models.CharField(max_length=10)
    display = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["icd10_code", "snomed_code"]
        indexes = [models.Index(fields=["icd10_code"])]
        constraints = [
            models.UniqueConstraint(fields=["snomed_code", "icd10_code"], name="uniq_code_pair")
        ]

    def __str__(self) -> str:
        return f"SNOMED {self.snomed_code} ↔ ICD-10-CM {self.icd10_code}"


class Recommendation(models.Model):
    """What a learner told us about one resource: done, helpful, not relevant or dismissed.

    Ranking itself is computed fresh on every read (learning.ranking); this row keeps the
    learner's feedback and the reason they were shown when they gave it.
    """

    class Rating(models.TextChoices):
        NONE = "", "No rating"
        HELPFUL = "helpful", "Helpful"
        NOT_RELEVANT = "not_relevant", "Not relevant"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_feedback"
    )
    resource = models.ForeignKey(
        LearningResource, on_delete=models.CASCADE, related_name="recommendations"
    )
    reason = models.CharField(max_length=REASON_MAX, blank=True)
    rating = models.CharField(max_length=20, choices=Rating.choices, blank=True, default="")
    done_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    evidence_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The portfolio evidence item made from this completion."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "resource"], name="uniq_recommendation_learner_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.resource}"

    @property
    def hides_resource(self) -> bool:
        """Done, dismissed and not-relevant resources are no longer recommended."""
        return (
            self.done_at is not None
            or self.dismissed_at is not None
            or self.rating == self.Rating.NOT_RELEVANT
        )


class FhirSource(models.Model):
    """A FHIR R4 server Continuum may pull upcoming appointments from.

    It belongs to an institution (for all its learners) or to one learner. Sources are set
    up by an administrator only: the server fetches the base URL, so it must be trusted.
    """

    name = models.CharField(max_length=120)
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="fhir_sources"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="fhir_sources",
    )
    base_url = models.URLField(max_length=400, help_text="FHIR R4 base, e.g. https://ehr/fhir/r4")
    token = models.CharField(
        max_length=2000, blank=True, help_text="Bearer token sent with every request, if any."
    )
    is_active = models.BooleanField(default=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(institution__isnull=True, learner__isnull=False)
                | Q(institution__isnull=False, learner__isnull=True),
                name="fhir_source_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PractitionerLink(models.Model):
    """Who the learner is in an EHR: their FHIR Practitioner id there.

    `source` empty means "bundles I upload myself". Visits are kept only when the learner's
    practitioner takes part in them.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practitioner_links"
    )
    source = models.ForeignKey(
        FhirSource,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="practitioner_links",
    )
    practitioner_id = models.CharField(
        max_length=64, help_text="The logical id of your Practitioner resource, e.g. 'pr-1234'."
    )

    class Meta:
        ordering = ["learner", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner"],
                condition=Q(source__isnull=True),
                name="uniq_practitioner_link_upload",
            ),
            models.UniqueConstraint(
                fields=["learner", "source"],
                condition=Q(source__isnull=False),
                name="uniq_practitioner_link_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} is Practitioner/{self.practitioner_id}"


class UpcomingVisitQuerySet(models.QuerySet["UpcomingVisit"]):
    def active(self) -> UpcomingVisitQuerySet:
        return self.filter(status__in=UpcomingVisit.ACTIVE_STATUSES)

    def from_date(self, day: dt.date) -> UpcomingVisitQuerySet:
        return self.filter(visit_date__gte=day)


class UpcomingVisit(models.Model):
    """A clinic visit the learner will take part in: a date, a status and reason codes only.

    The dedupe key is the FHIR resource type and id, so posting a bundle twice changes nothing.
    """

    ACTIVE_STATUSES = ("booked", "planned", "arrived")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upcoming_visits"
    )
    source = models.ForeignKey(
        FhirSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    resource_type = models.CharField(max_length=20)  # Appointment or Encounter
    resource_id = models.CharField(max_length=200)
    visit_date = models.DateField()
    starts_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20)
    # [{"system": ..., "code": ..., "display": ...}] — codes in SNOMED CT / ICD-10-CM only.
    reasons = models.JSONField(default=list, blank=True)
    reason_text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UpcomingVisitQuerySet.as_manager()

    class Meta:
        ordering = ["visit_date", "starts_at"]
        indexes = [models.Index(fields=["learner", "visit_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "resource_type", "resource_id"], name="uniq_visit_resource"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} on {self.visit_date}"

    @property
    def reason_label(self) -> str:
        labels = [r.get("display") or r.get("code", "") for r in self.reasons]
        return self.reason_text or "; ".join(label for label in labels if label)


class VisitDigest(models.Model):
    """One row per learner per visit day whose evening-before email was sent: never twice."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_digests"
    )
    visit_date = models.DateField()
    item_count = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visit_date"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "visit_date"], name="uniq_visit_digest")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.learner} before {self.visit_date}"


class FhirPull(models.Model):
    """One pull of a learner's appointments from a FHIR server, as a job: the row is written
    first and the message sent after it, so a pull asked for while the broker is down is not
    lost (the sweeper sends it again), and the guarded pending → running step runs it once.
    A link has at most one pull waiting or running."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    link = models.ForeignKey(PractitionerLink, on_delete=models.CASCADE, related_name="pulls")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    kept = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["link"],
                condition=Q(status__in=["pending", "running"]),
                name="uniq_open_fhir_pull",
            )
        ]

    def __str__(self) -> str:
        return f"FHIR pull {self.pk} ({self.status})"

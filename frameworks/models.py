from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Exists, OuterRef, Prefetch


class RatingScale(models.Model):
    """An ordered set of levels a rating may take (milestones 0–5 in half steps, EPA 1–5).

    A framework's own scale is a milestone or entrustment scale. Assessment forms may rate on
    another one: the shipped O-SCORE, Chen entrustment and Zwisch scales (created by migration
    0002, anchors in our own words) or a scale a program defines (`custom`)."""

    class Kind(models.TextChoices):
        MILESTONE = "milestone", "Milestone levels"
        ENTRUSTMENT = "entrustment", "Entrustment / supervision"
        O_SCORE = "o-score", "O-SCORE"
        CHEN = "chen", "Chen entrustment"
        ZWISCH = "zwisch", "Zwisch"
        CUSTOM = "custom", "Defined by a program"

    # The kinds a program may choose for a form without defining levels of its own.
    SHIPPED_KINDS = (Kind.O_SCORE, Kind.CHEN, Kind.ZWISCH)

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def allowed_values(self) -> set[Decimal]:
        return {level.value for level in self.levels.all()}

    def allows(self, value: Decimal) -> bool:
        return Decimal(value) in self.allowed_values()


class ScaleLevel(models.Model):
    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="levels")
    value = models.DecimalField(max_digits=3, decimal_places=1)
    label = models.CharField(max_length=120)
    anchor = models.CharField(max_length=400, blank=True, help_text="What this level looks like.")

    class Meta:
        ordering = ["scale", "value"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "value"], name="uniq_scale_level_value")
        ]

    def __str__(self) -> str:
        return f"{self.value} {self.label}"


class FrameworkQuerySet(models.QuerySet["Framework"]):
    def with_tree(self) -> FrameworkQuerySet:
        """The scale, its levels, the whole competency tree (each node with its parent and an
        `is_ratable` flag) and the level descriptors: four queries, whatever the size."""
        return self.select_related("scale").prefetch_related(
            "scale__levels",
            Prefetch(
                "competencies",
                queryset=Competency.objects.with_is_ratable().select_related("parent"),
            ),
            "competencies__descriptors",
        )


class Framework(models.Model):
    """One version of a competency framework. Versions live side by side; ratings keep theirs."""

    class Kind(models.TextChoices):
        MILESTONES = "milestones", "Milestones"
        EPA = "epa", "Entrustable professional activities"

    code = models.SlugField(max_length=60)
    version = models.CharField(max_length=30)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    effective_date = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=400)
    source_url = models.URLField(blank=True)
    licence_note = models.TextField(blank=True)
    scale = models.ForeignKey(RatingScale, on_delete=models.PROTECT, related_name="frameworks")
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = FrameworkQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_framework_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class CompetencyQuerySet(models.QuerySet["Competency"]):
    def ratable(self) -> CompetencyQuerySet:
        """Leaves of the tree (no children): sub-competencies and EPAs, the things people rate.

        Domains group items and are never rated themselves."""
        return self.filter(~Exists(Competency.objects.filter(parent=OuterRef("pk"))))

    def with_is_ratable(self) -> CompetencyQuerySet:
        """Annotate `is_ratable` in the same query (a correlated subquery, not a join)."""
        return self.annotate(is_ratable=~Exists(Competency.objects.filter(parent=OuterRef("pk"))))


class Competency(models.Model):
    """A node of a framework's tree: a domain (no parent) or a sub-competency / EPA."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="competencies")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(max_length=30)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    objects = CompetencyQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "order"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="uniq_competency_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_domain(self) -> bool:
        return self.parent_id is None


class LevelDescriptor(models.Model):
    """What a level of one competency looks like, in short words."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="descriptors")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    text = models.CharField(max_length=600)

    class Meta:
        ordering = ["competency", "level"]
        constraints = [
            models.UniqueConstraint(fields=["competency", "level"], name="uniq_descriptor_level")
        ]

    def __str__(self) -> str:
        return f"{self.competency.code} L{self.level}"

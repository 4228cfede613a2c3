from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

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
    # The CASE CFDocument identifier of this version (frameworks.identifiers says how it is
    # chosen); unique, since CFDocuments/{id} names one version.
    uuid = models.UUIDField(unique=True, default=uuid4, editable=False)
    # Public frameworks are served by the CASE REST API without a token (an administrator
    # decides; docs/frameworks.md).
    public = models.BooleanField(
        default=False,
        help_text="Serve this version through the CASE REST API to anyone, without a token.",
    )

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
    # The CASE CFItem identifier. The same item (same framework code, item code and title)
    # keeps it from one version to the next, so it is unique within a version only.
    uuid = models.UUIDField(default=uuid4, editable=False, db_index=True)
    # The identifier of the CASE isChildOf association that places this item in the tree
    # (a domain's or top-level item's points at the document).
    child_of_uuid = models.UUIDField(default=uuid4, editable=False, db_index=True)

    objects = CompetencyQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "order"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="uniq_competency_code"),
            models.UniqueConstraint(fields=["framework", "uuid"], name="uniq_competency_uuid"),
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


class CompetencyLink(models.Model):
    """An administrator's link from an item of one framework to an item of another (an AAMC
    Core EPA to the milestone sub-competencies it informs). Exported as a CASE association;
    the learner's timeline reads it to carry evidence across a transition."""

    class Kind(models.TextChoices):
        # CASE 1.0 association types that make sense between frameworks.
        RELATED = "isRelatedTo", "is related to"
        EXACT = "exactMatchOf", "is an exact match of"
        PART = "isPartOf", "is part of"
        PEER = "isPeerOf", "is a peer of"

    origin = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="links_out")
    destination = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)
    uuid = models.UUIDField(unique=True, default=uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["origin", "destination"]
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "destination", "kind"], name="uniq_competency_link"
            ),
            models.CheckConstraint(
                condition=~models.Q(origin=models.F("destination")),
                name="competency_link_not_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.origin} {self.kind} {self.destination}"

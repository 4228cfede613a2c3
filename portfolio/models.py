"""The learner's own records: profile, timeline, evidence, reflections, goals, sharing, access log.

Everything here is private to the learner by default. Who else may read what is decided in
one place only: `portfolio/selectors.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from frameworks.models import Competency
from programs.models import Program


class Scope(models.TextChoices):
    """What a share grant may open up. Each learner-owned item belongs to exactly one scope."""

    CHECKINS = "checkins", "Check-ins and self-assessments"
    EVIDENCE = "evidence", "Evidence (logs, documents, certificates)"
    REFLECTIONS = "reflections", "Reflections"
    GOALS = "goals", "Goals and learning plan"


# The access log also records reads of the official record (assessments, committee reviews),
# which a program sees by role rather than through a share grant; learners never grant it.
RECORDS_SCOPE = "records"
ACCESS_LOG_SCOPES = [*Scope.choices, (RECORDS_SCOPE, "Official record (assessments, reviews)")]


class LearnerProfile(models.Model):
    """What the learner says about themself; travels with the portfolio when they move."""

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learner_profile"
    )
    headline = models.CharField(
        max_length=200, blank=True, help_text="For example: PGY-2 internal medicine resident."
    )
    about = models.TextField(blank=True, max_length=4000)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.learner}"


class TimelineEntry(models.Model):
    """A stage of training held outside this deployment (typically brought in by an import).

    Stages inside this deployment are `programs.Enrollment` rows; the timeline shows both.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timeline_entries"
    )
    institution_name = models.CharField(max_length=200)
    program_name = models.CharField(max_length=200)
    stage = models.CharField(max_length=20, choices=Program.Stage.choices)
    specialty = models.CharField(max_length=120, blank=True)
    training_year = models.PositiveSmallIntegerField(default=1)
    year_label = models.CharField(max_length=40, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["learner", "start_date"]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.program_name} ({self.start_date})"


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """Stored names never reuse the learner's file name: it may carry a patient's name."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.learner_id}/{uuid.uuid4().hex}.{extension}"


class EvidenceQuerySet(models.QuerySet["Evidence"]):
    def reflections(self) -> EvidenceQuerySet:
        return self.filter(kind=Evidence.Kind.REFLECTION)

    def not_reflections(self) -> EvidenceQuerySet:
        return self.exclude(kind=Evidence.Kind.REFLECTION)


class Evidence(models.Model):
    """Something that shows a competency: a reflection, a log entry, a document, a credit."""

    class Kind(models.TextChoices):
        REFLECTION = "reflection", "Reflection"
        CASE_LOG = "case_log", "Case log"
        PROCEDURE_LOG = "procedure_log", "Procedure log"
        DOCUMENT = "document", "Document"
        CERTIFICATE = "certificate", "Certificate / CME credit"
        EXTERNAL = "external", "External record"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=20000)
    occurred_on = models.DateField(default=dt.date.today)
    credit_hours = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    external_source = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(max_length=300, blank=True)
    competencies = models.ManyToManyField(Competency, blank=True, related_name="+")
    # The self-assessments this supports (`self_assessment.evidence` from the other side). The
    # link belongs to the portfolio, which sits above the ratings in the layers.
    self_assessments = models.ManyToManyField(
        "assessments.SelfAssessment", blank=True, related_name="evidence"
    )
    # Framework references an import could not match; kept so nothing is silently dropped.
    unmatched_competencies = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to=evidence_upload_to, blank=True, max_length=300)
    file_name = models.CharField(max_length=255, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-created_at", "-id"]
        verbose_name_plural = "evidence"
        indexes = [
            models.Index(fields=["learner", "kind", "occurred_on"]),
            # A learner's list, newest first, read a page at a time: without it each page
            # sorted all of the learner's items (10,000 in the benchmark: 3.6 ms a page).
            models.Index(fields=["learner", "-occurred_on", "-id"], name="evidence_newest_first"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope(self) -> Scope:
        return Scope.REFLECTIONS if self.kind == self.Kind.REFLECTION else Scope.EVIDENCE

    @property
    def has_file(self) -> bool:
        return bool(self.file)


class EvidenceCount(models.Model):
    """How many items of one kind a learner has: what the evidence list's "page n of N" needs,
    without counting the learner's items on every page (10,000 items in the benchmark took
    PostgreSQL 0.85 ms a page to count, against 0.25 ms for the page's other statements
    together). Kept by `portfolio.counts` on every write; `manage.py check_evidence_counts`
    proves it equal to the items."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Evidence.Kind.choices)
    # Not constrained to be positive: a count that drifted must not stop a deletion; the
    # check command finds it.
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "kind"], name="evidence_count_cell")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.n}"


class GoalQuerySet(models.QuerySet["Goal"]):
    def open(self) -> GoalQuerySet:
        return self.filter(status__in=[Goal.Status.PLANNED, Goal.Status.ACTIVE])


class Goal(models.Model):
    """One item of the individual learning plan, written the SMART way."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        DROPPED = "dropped", "Dropped"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="goals"
    )
    title = models.CharField(max_length=200, help_text="What exactly will you be able to do?")
    measure = models.TextField(max_length=2000, help_text="How will you know you got there?")
    plan = models.TextField(
        blank=True, max_length=4000, help_text="The steps, and the support you need."
    )
    target_date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    competencies = models.ManyToManyField(Competency, blank=True, related_name="+")
    unmatched_competencies = models.JSONField(default=list, blank=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="goals")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["target_date", "id"]
        indexes = [models.Index(fields=["learner", "status", "target_date"])]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status in (self.Status.PLANNED, self.Status.ACTIVE) and self.target_date < today


class GoalProgressNote(models.Model):
    """A dated line of progress on a goal. Notes are appended, never edited."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="progress_notes")
    text = models.TextField(max_length=2000)
    noted_on = models.DateField(default=dt.date.today)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-noted_on", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"Progress on {self.goal_id} ({self.noted_on})"


class ShareCircle(models.Model):
    """A set of people that a higher app keeps in step (a learning group's members), to whom a
    learner can share single items. Portfolio knows only who is in it, not what it is for."""

    label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.label


class ShareCircleMember(models.Model):
    """One person who reads what is shared to a circle while they belong to it."""

    circle = models.ForeignKey(ShareCircle, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_circles"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["circle", "user"], name="uniq_share_circle_member")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in circle {self.circle_id}"


class ShareGrantQuerySet(models.QuerySet["ShareGrant"]):
    def active(self, now: dt.datetime | None = None) -> ShareGrantQuerySet:
        """Neither revoked nor past its expiry, as of `now`."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def covering(self, scope: Scope | str) -> ShareGrantQuerySet:
        return self.filter(**{ShareGrant.SCOPE_FIELDS[Scope(scope)]: True})


class ShareGrant(models.Model):
    """The learner's consent for one person, or one program's committee, to read some scopes;
    or, for a circle (a learning group), to read one item: a piece of evidence or a goal."""

    SCOPE_FIELDS: dict[Scope, str] = {
        Scope.CHECKINS: "share_checkins",
        Scope.EVIDENCE: "share_evidence",
        Scope.REFLECTIONS: "share_reflections",
        Scope.GOALS: "share_goals",
    }

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_grants"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="share_grants_received",
    )
    program = models.ForeignKey(
        Program,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="share_grants",
        help_text="Shares with this program's director, coordinators and committee.",
    )
    circle = models.ForeignKey(
        ShareCircle,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="grants",
        help_text="Shares one item with whoever is in this circle.",
    )
    evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    share_checkins = models.BooleanField(default=False)
    share_evidence = models.BooleanField(default=False)
    share_reflections = models.BooleanField(default=False)
    share_goals = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ShareGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["grantee", "revoked_at"]),
            models.Index(fields=["program", "revoked_at"]),
            models.Index(fields=["learner", "revoked_at"]),
            models.Index(fields=["circle", "revoked_at"]),
        ]
        constraints = [
            # A person or a program gets whole scopes; a circle gets exactly one item.
            models.CheckConstraint(
                condition=(
                    Q(evidence__isnull=True, goal__isnull=True, circle__isnull=True)
                    & (
                        (Q(grantee__isnull=False) & Q(program__isnull=True))
                        | (Q(grantee__isnull=True) & Q(program__isnull=False))
                    )
                )
                | (
                    Q(circle__isnull=False, grantee__isnull=True, program__isnull=True)
                    & (
                        (Q(evidence__isnull=False) & Q(goal__isnull=True))
                        | (Q(evidence__isnull=True) & Q(goal__isnull=False))
                    )
                ),
                name="share_grant_one_audience",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} → {self.audience_label}"

    @property
    def audience_label(self) -> str:
        if self.grantee_id is not None:
            return str(self.grantee)
        if self.circle_id is not None:
            return str(self.circle)
        return f"{self.program} competency committee"

    @property
    def item(self) -> Evidence | Goal | None:
        """The one item a circle grant opens (None for a grant of whole scopes)."""
        return self.evidence if self.evidence_id is not None else self.goal

    def opens_item(self, item: object) -> bool:
        if isinstance(item, Evidence):
            return self.evidence_id == item.pk
        if isinstance(item, Goal):
            return self.goal_id == item.pk
        if isinstance(item, GoalProgressNote):
            return self.goal_id == item.goal_id
        return False

    @property
    def scopes(self) -> list[Scope]:
        return [scope for scope, name in self.SCOPE_FIELDS.items() if getattr(self, name)]

    def covers(self, scope: Scope | str) -> bool:
        return bool(getattr(self, self.SCOPE_FIELDS[Scope(scope)]))

    def is_active(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AccessLog(models.Model):
    """One read of one of a learner's items by someone else. Append-only; the learner reads it."""

    class Action(models.TextChoices):
        LIST = "list", "Saw in a list"
        VIEW = "view", "Opened"
        DOWNLOAD = "download", "Downloaded the file"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_log"
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    viewer_name = models.CharField(max_length=200)
    grant = models.ForeignKey(
        ShareGrant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope = models.CharField(max_length=20, choices=ACCESS_LOG_SCOPES)
    item_type = models.CharField(max_length=40)
    item_id = models.PositiveBigIntegerField(null=True, blank=True)
    item_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["learner", "at"])]

    def __str__(self) -> str:
        return f"{self.viewer_name} {self.action} {self.item_type} {self.item_id} at {self.at}"


class ImportedRecord(models.Model):
    """An entry an import could not turn into a live row (e.g. an unknown framework version),
    or a record by someone else from another deployment. Kept verbatim and exported again."""

    class Kind(models.TextChoices):
        SELF_ASSESSMENT = "self_assessment", "Self-assessment"
        ASSESSMENT = "assessment", "Assessment by someone else"
        # An item of an archive section another app contributes (portfolio/archive.py): a
        # committee review, a coaching thread, a credential… kept read-only, as exported.
        RECORD = "record", "Record from an archive"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imported_records"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # For records: the archive section (`committee_reviews`) and the item's identifier there.
    section = models.CharField(max_length=60, blank=True)
    item_id = models.UUIDField(null=True, blank=True)
    payload = models.JSONField()
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "section", "item_id"],
                condition=models.Q(item_id__isnull=False),
                name="uniq_imported_record_item",
            )
        ]

    def __str__(self) -> str:
        return f"Imported {self.kind} of {self.learner}"


class PortfolioTransfer(models.Model):
    """An export or import job. The task updates `done`/`total` so the page can show progress."""

    class Direction(models.TextChoices):
        EXPORT = "export", "Export"
        IMPORT = "import", "Import"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio_transfers"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    step = models.CharField(max_length=100, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    archive = models.FileField(upload_to="transfers/", blank=True, max_length=300)
    archive_size = models.PositiveBigIntegerField(null=True, blank=True)
    report: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a worker took the job (pending → running); a claim this old is a dead worker's.
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} for {self.learner} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from frameworks.models import Competency, Framework, RatingScale
from programs.models import ReviewPeriod


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
    # The day its items were assessed on (the learner may date a check-in back; the latest of
    # its items' days, should they differ). Kept by every writer of check-ins. The coach's
    # trend takes each learner's last check-ins from the index below, instead of ranking all
    # their items. Empty only for a check-in without items.
    assessed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["learner", "-assessed_on", "-id"], name="checkin_latest_first")
        ]

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at", "-id"]
        indexes = [models.Index(fields=["learner", "competency", "assessed_on"])]

    def __str__(self) -> str:
        return f"{self.learner} self-rated {self.competency.code} {self.level}"


# --- Assessment forms: what an observation asks, on which scale ------------------------------


class AssessmentFormQuerySet(models.QuerySet["AssessmentForm"]):
    def shipped(self) -> AssessmentFormQuerySet:
        """The forms every program may use (no owning program)."""
        return self.filter(program__isnull=True)

    def available_in(self, program_id: int) -> AssessmentFormQuerySet:
        """The shipped forms and the program's own active ones."""
        return self.filter(Q(program__isnull=True) | Q(program_id=program_id, is_active=True))


class AssessmentForm(models.Model):
    """An observation form built from parts: what it rates (EPAs or sub-competencies, all or a
    chosen few), the scale it rates on, its narrative prompts and optional questions.

    `scale` empty means each framework's own scale: the two shipped forms ("Milestone levels",
    "EPA entrustment") work that way, and every observation recorded before forms existed is on
    one of them. A rating on any other scale keeps that scale and counts toward milestone
    summaries, the heatmap and flags only through `milestone_mapping` (scale value → milestone
    level, as strings); without one it stays out of them (docs/assessments.md).
    """

    class Rates(models.TextChoices):
        MILESTONES = "milestones", "Sub-competencies (milestones)"
        EPA = "epa", "EPAs"

    SHIPPED_MILESTONES = "milestone-levels"
    SHIPPED_EPA = "epa-entrustment"
    SHIPPED_NAMES = {SHIPPED_MILESTONES: "Milestone levels", SHIPPED_EPA: "EPA entrustment"}
    MAX_OPTIONAL_PROMPTS = 5

    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.SlugField(max_length=60, blank=True)
    name = models.CharField(max_length=120)
    rates = models.CharField(max_length=20, choices=Rates.choices)
    scale = models.ForeignKey(
        RatingScale, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    competencies = models.ManyToManyField(Competency, blank=True, related_name="+")
    went_well_prompt = models.CharField(max_length=200, default="What went well")
    next_step_prompt = models.CharField(max_length=200, default="One thing to work on next")
    optional_prompts = models.JSONField(default=list, blank=True)
    milestone_mapping = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentFormQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="uniq_assessment_form_code"
            ),
            models.UniqueConstraint(fields=["program", "name"], name="uniq_form_name_in_program"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def uses_framework_scale(self) -> bool:
        return self.scale_id is None

    @property
    def is_mapped(self) -> bool:
        return self.scale_id is not None and bool(self.milestone_mapping)

    def counted_level(self, level: Decimal) -> Decimal | None:
        """The level a rating on this form counts as in milestone summaries, the heatmap and
        flags: itself on the framework's own scale, its mapped level on a mapped scale, and
        None (left out) on any other scale."""
        if self.scale_id is None:
            return level
        mapped = self.milestone_mapping.get(f"{level.normalize():f}")
        return None if mapped is None else Decimal(str(mapped))


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
    # Observations (docs/assessments.md): the program the assessor rated in, the request it
    # answers, the key that makes a retried submission land once, and the current version
    # (every version is an AssessmentVersion; this row always shows the newest).
    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request = models.ForeignKey(
        "AssessmentRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
    )
    submission_key = models.UUIDField(null=True, blank=True)
    version = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # The form the rating was made on and the scale its level is on (kept: a rating is never
    # re-read on another scale). `counted_level` is what milestone summaries, the heatmap and
    # flags read: the level itself on the framework's own scale, the form's mapped milestone
    # level on a mapped scale, empty (left out) otherwise.
    form = models.ForeignKey(AssessmentForm, on_delete=models.PROTECT, related_name="+")
    scale = models.ForeignKey(RatingScale, on_delete=models.PROTECT, related_name="+")
    counted_level = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    # Answers to the form's optional prompts, by prompt text (kept if the form changes later).
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-observed_on", "-created_at"]
        indexes = [
            models.Index(fields=["learner", "competency", "observed_on"]),
            models.Index(fields=["assessor", "observed_on"]),
            # Cohort heatmaps and the institution overview read a period's ratings for many
            # learners; covering the level lets PostgreSQL answer from the index alone.
            models.Index(
                fields=["learner", "observed_on"],
                include=["competency", "counted_level"],
                name="assess_learner_period_cover",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assessor", "submission_key", "competency"],
                condition=Q(submission_key__isnull=False),
                name="uniq_assessment_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessor} rated {self.learner} {self.competency.code} {self.level}"


class MonthlyRatingSummary(models.Model):
    """One learner's ratings of one competency in one calendar month, by who rated: their sum
    and count (the trajectory's monthly mean) and the month's latest rating (the dashboard's
    "latest level" is the latest month's).

    A summary of `SelfAssessment` and `Assessment`, kept exact by `assessments.summaries.monthly`:
    every write that adds, changes or removes a rating refreshes that learner's cells of those
    competencies in the same transaction; `manage.py check_summaries` proves the whole table
    equal to the raw rows. Only months with at least one rating have a row.
    """

    class RatedBy(models.IntegerChoices):
        SELF = 1, "self"
        ASSESSOR = 2, "assessor"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    rated_by = models.PositiveSmallIntegerField(choices=RatedBy.choices)
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")
    # Levels are kept in whole tenths (every scale's levels are): exact on both databases, and
    # the dashboard reads integers without converting a decimal per row.
    total_tenths = models.IntegerField(help_text="The sum of the month's levels, in tenths.")
    n = models.PositiveIntegerField()
    last_tenths = models.PositiveSmallIntegerField(help_text="The month's latest level, in tenths.")
    last_on = models.DateField()

    class Meta:
        constraints = [
            # One row per cell. In (rated_by, month) order, and covering the numbers, so the
            # dashboard reads a learner's rows from the index alone.
            models.UniqueConstraint(
                fields=["learner", "rated_by", "month", "competency"],
                include=["total_tenths", "n", "last_tenths", "last_on"],
                name="uniq_monthly_rating_summary",
            )
        ]

    def __str__(self) -> str:
        return (
            f"learner {self.learner_id} {self.get_rated_by_display()} {self.competency_id} "
            f"{self.month:%Y-%m}: {self.total_tenths / 10}/{self.n}"
        )


class PeriodRatingSummary(models.Model):
    """Median and count of one learner's assessor ratings of one competency in one review
    period: what the cohort heatmap shows where the committee has no consensus yet.

    A summary of `Assessment`, kept exact by `assessments.summaries.periods` (refreshed in the
    same transaction as every write that changes it) for every period and every learner ever
    enrolled in the period's program; `manage.py check_summaries` proves it equal to the raw
    rows. Only cells with at least one rating have a row.
    """

    period = models.ForeignKey(ReviewPeriod, on_delete=models.CASCADE, related_name="+")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="+")
    median = models.FloatField()
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "learner", "competency"], name="uniq_period_rating_summary"
            )
        ]

    def __str__(self) -> str:
        return f"period {self.period_id} learner {self.learner_id}: {self.median} (n={self.n})"


# --- Assessments by others: observation requests, versions, responses ----------------------
# Owned by the observations feature (docs/assessments.md). An Assessment row always holds the
# current state of a rating; every state it ever had is an AssessmentVersion.


class ObservationSetting(models.TextChoices):
    CLINIC = "clinic", "Clinic / outpatient"
    WARD = "ward", "Ward / inpatient"
    EMERGENCY = "emergency", "Emergency department"
    PROCEDURE = "procedure", "Operating room / procedure"
    SIMULATION = "simulation", "Simulation"
    OTHER = "other", "Other"


class AssessmentRequestQuerySet(models.QuerySet["AssessmentRequest"]):
    def open(self) -> AssessmentRequestQuerySet:
        return self.filter(status=AssessmentRequest.Status.OPEN)

    def overdue(self, today: dt.date) -> AssessmentRequestQuerySet:
        """Open requests past their due date; without one, older than the default wait."""
        default_cutoff = today - dt.timedelta(days=AssessmentRequest.DEFAULT_DUE_DAYS)
        return self.open().filter(
            Q(due_on__lt=today) | Q(due_on__isnull=True, created_at__date__lt=default_cutoff)
        )


class AssessmentRequest(models.Model):
    """A learner asks a named assessor of their program to observe them."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"

    # A request without a due date counts as overdue this many days after it was made.
    DEFAULT_DUE_DAYS = 14

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observation_requests"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="observation_inbox"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="+")
    competencies = models.ManyToManyField(Competency, related_name="+")
    form = models.ForeignKey(AssessmentForm, on_delete=models.PROTECT, related_name="+")
    setting = models.CharField(max_length=20, choices=ObservationSetting.choices, blank=True)
    case_type = models.CharField(max_length=120, blank=True)
    encounter_on = models.DateField(null=True, blank=True)
    note = models.TextField(max_length=500, blank=True)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    decline_reason = models.TextField(max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)
    client_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AssessmentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assessor", "status", "due_on"]),
            models.Index(fields=["learner", "created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "client_token"],
                condition=Q(client_token__isnull=False),
                name="uniq_request_client_token",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="declined_request_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} asks {self.assessor} ({self.get_status_display()})"

    @property
    def due_date(self) -> dt.date:
        """The due date, or the default one when the learner gave none."""
        return self.due_on or (
            timezone.localdate(self.created_at) + dt.timedelta(days=self.DEFAULT_DUE_DAYS)
        )

    def is_overdue(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == self.Status.OPEN and self.due_date < today


class AssessmentVersion(models.Model):
    """One state of an assessment, never changed. Version 1 is the original; later versions
    are corrections by the author within 24 hours, or amendments after that (with a reason)."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", "Original"
        CORRECTION = "correction", "Correction"
        AMENDMENT = "amendment", "Amendment"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.DecimalField(max_digits=3, decimal_places=1)
    went_well = models.TextField(blank=True, max_length=2000)
    next_step = models.TextField(blank=True, max_length=2000)
    context = models.CharField(max_length=300, blank=True)
    observed_on = models.DateField()
    reason = models.TextField(blank=True, max_length=1000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "version"], name="uniq_assessment_version"
            ),
            models.CheckConstraint(
                condition=~Q(kind="amendment") | ~Q(reason=""), name="amendment_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Assessment {self.assessment_id} v{self.version} ({self.kind})"


class AssessmentResponse(models.Model):
    """The learner's words on an assessment of them: a reply or a reflection. Append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(max_length=2000)
    client_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "client_token"],
                condition=Q(client_token__isnull=False),
                name="uniq_response_client_token",
            )
        ]

    def __str__(self) -> str:
        return f"Response by {self.learner} to assessment {self.assessment_id}"


# --- Rotation schedules: who is where, and the evaluation each rotation's end calls for ------
# Owned by assessments/services/rotations.py (docs/assessments.md, "Rotation schedules"). The
# schedule lives here rather than in programs because each rotation names the form its
# end-of-rotation evaluation is made on.


class Rotation(models.Model):
    """A rotation a program runs (e.g. "Cardiology"): the form and the items its supervising
    faculty are asked to rate when a learner's block on it ends."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    form = models.ForeignKey(AssessmentForm, on_delete=models.PROTECT, related_name="+")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="+")
    competencies = models.ManyToManyField(Competency, related_name="+")
    # Days after the rotation's last day that the evaluation is due.
    due_days = models.PositiveSmallIntegerField(default=14)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="uniq_rotation_name")
        ]

    def __str__(self) -> str:
        return self.name


class ScheduledRotationQuerySet(models.QuerySet["ScheduledRotation"]):
    def ended_unsent(self, today: dt.date) -> ScheduledRotationQuerySet:
        """Blocks whose last day is before `today` and whose evaluation was never asked for."""
        return self.filter(end_on__lt=today, evaluation_state=ScheduledRotation.State.SCHEDULED)


class ScheduledRotation(models.Model):
    """One learner's block on a rotation, at a site, under a supervising faculty member.

    `evaluation_state` is the guard that makes the end-of-rotation evaluation go out once:
    it moves scheduled → requested in the same transaction that creates the request, by a
    conditional UPDATE, so two beat runs (or two workers) cannot both send it."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        REQUESTED = "requested", "Evaluation requested"

    rotation = models.ForeignKey(Rotation, on_delete=models.PROTECT, related_name="blocks")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduled_rotations"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervised_rotations"
    )
    site = models.CharField(max_length=120, blank=True)
    start_on = models.DateField()
    end_on = models.DateField()
    evaluation_state = models.CharField(
        max_length=20, choices=State.choices, default=State.SCHEDULED
    )
    evaluation = models.OneToOneField(
        AssessmentRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scheduled_rotation",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScheduledRotationQuerySet.as_manager()

    class Meta:
        ordering = ["start_on", "id"]
        indexes = [
            models.Index(fields=["learner", "start_on"]),
            models.Index(fields=["evaluation_state", "end_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gte=models.F("start_on")), name="rotation_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.rotation} {self.start_on}–{self.end_on}"


# --- Assess me now ---------------------------------------------------------------------------


class AssessNowCode(models.Model):
    """A learner's "assess me now" code, shown as a QR code and redeemed once.

    The assessor who redeems it (within `expires_at`) gets an observation request on the
    code's items and form; `redeemed_at` is the guard that makes it work once: it is set by a
    conditional UPDATE in the transaction that creates the request."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="+")
    form = models.ForeignKey(AssessmentForm, on_delete=models.PROTECT, related_name="+")
    competencies = models.ManyToManyField(Competency, related_name="+")
    setting = models.CharField(max_length=20, choices=ObservationSetting.choices, blank=True)
    case_type = models.CharField(max_length=120, blank=True)
    client_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    request = models.OneToOneField(
        AssessmentRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "client_token"], name="assess_now_code_token_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Assess-now code {self.pk} of {self.learner_id}"

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class AssessNowLink(models.Model):
    """A one-time sign-in link to redeem a code, emailed to a person on the faculty list of
    the code's program. `used_at` is set by a conditional UPDATE: the link works once."""

    code = models.ForeignKey(AssessNowCode, on_delete=models.CASCADE, related_name="links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Sign-in link {self.pk} for code {self.code_id}"


# --- Multi-source feedback -------------------------------------------------------------------


class RaterType(models.TextChoices):
    NURSE = "nurse", "Nurse"
    PEER = "peer", "Peer"
    STAFF = "staff", "Other staff"
    PATIENT = "patient", "Patient"


class FeedbackRequest(models.Model):
    """A one-time link asking a nurse, peer, other staff member or patient for feedback on a
    learner. Nobody who answers needs an account; nothing identifies a patient (no name, no
    email). `responded_at` is set by a conditional UPDATE with the response: one use."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rater_type = models.CharField(max_length=20, choices=RaterType.choices)
    anonymous = models.BooleanField(default=True)
    rater_name = models.CharField(max_length=120, blank=True)
    rater_email = models.EmailField(blank=True)
    client_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    email_sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["learner", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["asked_by", "client_token"], name="feedback_request_token_once"
            ),
            models.CheckConstraint(
                condition=~Q(rater_type="patient") | (Q(rater_name="") & Q(rater_email="")),
                name="feedback_patient_unidentified",
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback request {self.pk} for {self.learner_id}"


class FeedbackResponse(models.Model):
    """One rater's answers on the short form of their rater type."""

    request = models.OneToOneField(
        FeedbackRequest, on_delete=models.CASCADE, related_name="response"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    rater_type = models.CharField(max_length=20, choices=RaterType.choices)
    form_code = models.CharField(max_length=40)
    ratings = models.JSONField(default=dict)
    comment = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["learner", "rater_type"])]

    def __str__(self) -> str:
        return f"Feedback response {self.pk}"


class TeachingEvaluation(models.Model):
    """A learner's evaluation of a teacher or of a rotation. Its author is kept only so that
    each learner evaluates once and can erase it; results are shown only in aggregate."""

    class Subject(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        ROTATION = "rotation", "Rotation"

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=20, choices=Subject.choices)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    rotation = models.ForeignKey(
        Rotation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ratings = models.JSONField(default=dict)
    comment = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["program", "subject"]),
            models.Index(fields=["teacher"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject="teacher", teacher__isnull=False, rotation__isnull=True)
                    | Q(subject="rotation", rotation__isnull=False, teacher__isnull=True)
                ),
                name="teaching_evaluation_one_subject",
            ),
            models.UniqueConstraint(
                fields=["author", "program", "teacher"],
                condition=Q(subject="teacher"),
                name="teaching_evaluation_once_per_teacher",
            ),
            models.UniqueConstraint(
                fields=["author", "rotation"],
                condition=Q(subject="rotation"),
                name="teaching_evaluation_once_per_rotation",
            ),
        ]

    def __str__(self) -> str:
        return f"Teaching evaluation {self.pk}"


class ProgramRatingHistogram(models.Model):
    """How many assessor ratings the learners currently enrolled in a program, by their current
    training year, received in one calendar month at one level (counted level), over every
    competency: a histogram per scale step, so quartiles read from it are exact.

    The institution overview reads it instead of every learner's ratings. It shows programs ×
    years, never competencies, so a cell holds every competency: a window of months is
    programs × years × months × steps rows, whatever the number of learners or competencies.
    Kept exact by `assessments.summaries.programs` in the writer's transaction; `manage.py
    check_summaries` proves it equal to the raw rows. Only cells with a rating have a row.
    """

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="rating_histogram"
    )
    training_year = models.PositiveSmallIntegerField()
    month = models.DateField(help_text="The first day of the month.")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # One row per cell, in the order the overview reads a program's window. On
            # PostgreSQL its index also carries `n` (migration 0017), so that read never
            # visits the table; the writers' ON CONFLICT names these four columns.
            models.UniqueConstraint(
                fields=["program", "month", "training_year", "level"],
                name="uniq_program_month_level",
            )
        ]

    def __str__(self) -> str:
        return (
            f"program {self.program_id} year {self.training_year} {self.month:%Y-%m} "
            f"level {self.level}: {self.n}"
        )


class ProgramMonthLearners(models.Model):
    """How many of a program's current learners (by current training year) were rated by an
    assessor in one calendar month. Distinct learners do not add up across months, so the
    overview's small-cell rule uses the busiest month of its window: a lower bound of the
    learners behind its numbers. Kept with `ProgramRatingHistogram`."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="rated_learners_by_month"
    )
    training_year = models.PositiveSmallIntegerField()
    month = models.DateField(help_text="The first day of the month.")
    learners = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Its index carries `learners` on PostgreSQL, as the histogram's carries `n`.
            models.UniqueConstraint(
                fields=["program", "month", "training_year"], name="uniq_program_month_learners"
            )
        ]

    def __str__(self) -> str:
        return (
            f"program {self.program_id} year {self.training_year} {self.month:%Y-%m}: "
            f"{self.learners}"
        )

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from frameworks.models import Competency, Framework


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (e.g. America/Toronto).")


class Institution(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    # The institution's local clock: a rotation ends, and its reminders fall, on this
    # zone's calendar day, not the server's.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def local_today(self, now: dt.datetime | None = None) -> dt.date:
        """Today's date on the institution's clock."""
        return timezone.localtime(now or timezone.now(), zoneinfo.ZoneInfo(self.time_zone)).date()


class InstitutionRole(models.Model):
    """A role someone holds across a whole institution rather than in one program. An
    institution administrator reads the institution's audit log of administration (its
    programs' roles, invitations, settings and imports, and its SSO and SCIM settings)."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Institution administrator"

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="institution_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        ordering = ["institution", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "user", "role"], name="uniq_institution_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.institution}"


class Program(models.Model):
    """A course of training: medical school, residency, fellowship or CPD."""

    class Stage(models.TextChoices):
        UME = "ume", "Medical school"
        GME = "gme", "Residency"
        FELLOWSHIP = "fellowship", "Fellowship"
        CPD = "cpd", "Practice / CPD"

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    stage = models.CharField(max_length=20, choices=Stage.choices)
    specialty = models.CharField(max_length=120, blank=True)
    duration_years = models.PositiveSmallIntegerField(default=3)
    frameworks = models.ManyToManyField(Framework, related_name="programs", blank=True)
    review_months = models.PositiveSmallIntegerField(
        default=6, help_text="Length of a committee review period in months (6 = semi-annual)."
    )
    year_start_month = models.PositiveSmallIntegerField(
        default=7, help_text="Month the training year starts (7 = July)."
    )

    class Meta:
        ordering = ["institution", "name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "slug"], name="uniq_program_slug")
        ]

    def __str__(self) -> str:
        return self.name

    def year_label(self, training_year: int) -> str:
        if self.stage == self.Stage.GME:
            return f"PGY-{training_year}"
        if self.stage == self.Stage.UME:
            return f"MS{training_year}"
        if self.stage == self.Stage.FELLOWSHIP:
            return f"Fellow year {training_year}"
        return f"Year {training_year}"

    def academic_year_of(self, day: dt.date) -> int:
        """The calendar year in which the training year containing `day` began."""
        return day.year if day.month >= self.year_start_month else day.year - 1

    def default_expected_level(self, training_year: int) -> Decimal:
        """Level 4 by graduation, stepped evenly from level 1 at entry, to the nearest half."""
        year = min(max(training_year, 1), self.duration_years)
        raw = Decimal(1) + Decimal(3) * Decimal(year) / Decimal(self.duration_years)
        return (raw * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP) / 2


class Cohort(models.Model):
    """A class of learners who started together (e.g. 'Class of 2028')."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=120)
    start_year = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["program", "-start_year"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="uniq_cohort_name")]

    def __str__(self) -> str:
        return f"{self.program} · {self.name}"


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def current(self) -> EnrollmentQuerySet:
        return self.filter(end_date__isnull=True)


class Enrollment(models.Model):
    """A learner's time in a program; their timeline is the sequence of these."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrollments"
    )
    training_year = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "start_date"]
        indexes = [
            models.Index(fields=["program", "end_date"]),
            # The institution overview counts current learners per program × year from this
            # index alone, already in group order (no table visit, no hashing).
            models.Index(
                fields=["program", "training_year"],
                condition=Q(end_date__isnull=True),
                name="enrollment_current_year",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "program"],
                condition=Q(end_date__isnull=True),
                name="uniq_open_enrollment_per_program",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.program} ({self.year_label})"

    @property
    def year_label(self) -> str:
        return self.program.year_label(self.training_year)

    def training_year_on(self, day: dt.date, today: dt.date | None = None) -> int:
        """The training year on `day`, counting back from the current (or final) year.

        `training_year` is the year now (or at the end, once the enrollment ended); each
        training-year boundary between `day` and then takes one off, never below 1.
        """
        return training_year_at(self.program, self.training_year, self.end_date, day, today)


def training_year_at(
    program: Program,
    training_year: int,
    end_date: dt.date | None,
    day: dt.date,
    today: dt.date | None = None,
) -> int:
    """`Enrollment.training_year_on` for callers holding plain values (large lists)."""
    anchor = end_date or today or timezone.localdate()
    delta = program.academic_year_of(anchor) - program.academic_year_of(day)
    return max(1, training_year - max(delta, 0))


class ProgramRole(models.Model):
    """A role someone holds in one program. Learners are enrollments, not roles."""

    class Role(models.TextChoices):
        DIRECTOR = "director", "Program director"
        COORDINATOR = "coordinator", "Coordinator"
        COMMITTEE = "committee", "Competency committee member"
        FACULTY = "faculty", "Faculty / assessor"
        COACH = "coach", "Coach"

    # The role groups every app asks about, defined once here.
    # Staff: must use MFA when enforced, and manage the program.
    STAFF_ROLES = (Role.DIRECTOR, Role.COORDINATOR)
    # Assessors: may rate the program's learners and receive observation requests.
    ASSESSOR_ROLES = (Role.FACULTY, Role.DIRECTOR, Role.COMMITTEE)
    # Reviewers: read the program's learners as a committee (heatmap, packets, consensus).
    REVIEW_ROLES = (Role.DIRECTOR, Role.COORDINATOR, Role.COMMITTEE)

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["program", "role"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user", "role"], name="uniq_program_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.program}"


class Expectation(models.Model):
    """Expected level for a competency at the end of a training year; overrides the default."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="expectations")
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="+")
    training_year = models.PositiveSmallIntegerField()
    level = models.DecimalField(max_digits=3, decimal_places=1)

    class Meta:
        ordering = ["program", "competency", "training_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "competency", "training_year"], name="uniq_expectation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competency.code} year {self.training_year}: {self.level}"


class ReviewPeriod(models.Model):
    """A stretch of time a competency committee reviews (semi-annual unless the program says)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="review_periods")
    name = models.CharField(max_length=120)
    start_date = models.DateField()
    end_date = models.DateField()
    # The period that closes a training year; the end-of-PGY-2 early warning looks only here.
    is_year_end = models.BooleanField(default=False)

    class Meta:
        ordering = ["program", "-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["program", "start_date"], name="uniq_period_start"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.name}"


class PracticeStageQuerySet(models.QuerySet["PracticeStage"]):
    def current(self) -> PracticeStageQuerySet:
        return self.filter(end_date__isnull=True)


class PracticeStage(models.Model):
    """The learner's own stage after training (or without any): no program, no administrator.

    The learner opens it, chooses the frameworks they follow and sets their own target level
    for each competency (`PracticeTarget`); check-ins, goals and recommendations run on those
    frameworks as they did on a program's."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_stages"
    )
    specialty = models.CharField(max_length=120, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    frameworks = models.ManyToManyField(Framework, related_name="practice_stages", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PracticeStageQuerySet.as_manager()

    class Meta:
        ordering = ["learner", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner"],
                condition=Q(end_date__isnull=True),
                name="uniq_open_practice_stage",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} in practice since {self.start_date}"

    @property
    def label(self) -> str:
        return f"Practice · {self.specialty}" if self.specialty else "Practice"


class PracticeTarget(models.Model):
    """The level a learner in practice aims at for one competency: their own expectation."""

    stage = models.ForeignKey(PracticeStage, on_delete=models.CASCADE, related_name="targets")
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="+")
    level = models.DecimalField(max_digits=3, decimal_places=1)
    # The level expected at graduation when the stage opened: a target never goes below it.
    floor = models.DecimalField(max_digits=3, decimal_places=1, default=Decimal(1))

    class Meta:
        ordering = ["stage", "competency"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "competency"], name="uniq_practice_target")
        ]

    def __str__(self) -> str:
        return f"{self.competency_id}: {self.level}"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Neither accepted, revoked nor expired."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An emailed invitation to join a program as a learner or in a role.

    The link carries a signed token naming the invitation and its `nonce`: it works once, until
    `expires_at`, and only for the person signed in with `email`. Accepting it enrols the
    learner (or grants the role) as the invitation says.
    """

    LEARNER = "learner"
    ROLE_CHOICES = [(LEARNER, "Learner"), *ProgramRole.Role.choices]

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    training_year = models.PositiveSmallIntegerField(null=True, blank=True)
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    nonce = models.CharField(max_length=32, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    email_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["program", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "email", "role"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="uniq_open_invitation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.program} as {self.role_label}"

    @property
    def role_label(self) -> str:
        if self.role == self.LEARNER:
            if self.training_year:
                return f"learner ({self.program.year_label(self.training_year)})"
            return "learner"
        return str(ProgramRole.Role(self.role).label)

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"

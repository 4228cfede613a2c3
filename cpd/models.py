"""Continuing professional development: the learner's diary of activities and credits, and the
licensing cycles they count towards. Private to the learner, like the rest of the portfolio."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from frameworks.models import Competency


class CreditType(models.Model):
    """A kind of credit an activity earns. The AMA PRA categories ship with the app (facts);
    an institution adds its own (a college's, a board's) in the admin."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    # Counts towards a cycle's "of which Category 1" requirement.
    is_category_1 = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


# The credit types that ship with the app (code, name, counts as Category 1, order); the data
# migration adds them, and a catalogue completion puts its own back if an admin removed it.
BUILT_IN_CREDIT_TYPES = [
    ("ama-pra-category-1", "AMA PRA Category 1 Credit", True, 10),
    ("ama-pra-category-2", "AMA PRA Category 2 Credit", False, 20),
]


class CpdActivityQuerySet(models.QuerySet["CpdActivity"]):
    def between(self, start: dt.date, end: dt.date) -> CpdActivityQuerySet:
        """Activities on `start` up to, not including, `end`."""
        return self.filter(occurred_on__gte=start, occurred_on__lt=end)


class CpdActivity(models.Model):
    """One learning activity in the diary: a course, a conference, a module, a self-study."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cpd_activities"
    )
    occurred_on = models.DateField()
    title = models.CharField(max_length=200)
    provider = models.CharField(max_length=200, blank=True)
    credit_type = models.ForeignKey(CreditType, on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField(max_digits=6, decimal_places=2)
    notes = models.TextField(blank=True, max_length=4000)
    competencies = models.ManyToManyField(Competency, blank=True, related_name="+")
    evidence = models.ManyToManyField("portfolio.Evidence", blank=True, related_name="+")
    # Where it came from when not typed in (`learning:<resource key>`): landing twice is one row.
    source = models.CharField(max_length=200, blank=True)
    # The form's or client's token: a double submit records one activity.
    client_token = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CpdActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = "CPD activities"
        indexes = [models.Index(fields=["learner", "occurred_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "source"], condition=~Q(source=""), name="uniq_cpd_source"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="cpd_hours_positive"),
        ]

    def __str__(self) -> str:
        return self.title


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class LicensingCycle(models.Model):
    """A period in which a licence or certification asks for a number of credits, as the
    learner reads their board's rules: they set it, the diary counts towards it."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="licensing_cycles"
    )
    name = models.CharField(max_length=120, help_text="For example: State medical licence.")
    start_date = models.DateField()
    length_months = models.PositiveSmallIntegerField(default=24)
    # The first day after the cycle: `add_months(start_date, length_months)`, kept by the
    # service so that totals for many cycles are one statement.
    end_date = models.DateField()
    credits_required = models.DecimalField(max_digits=6, decimal_places=2)
    category_1_required = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(0))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["learner", "-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category_1_required__lte=F("credits_required")),
                name="cycle_category_1_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} from {self.start_date}"

    @property
    def last_day(self) -> dt.date:
        return self.end_date - dt.timedelta(days=1)

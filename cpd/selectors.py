"""Reads for the CPD diary. The diary and cycles are the learner's own: nobody else reads
them here (a learner shares CPD through evidence and their exported archive)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from cpd.models import CpdActivity, CreditType, LicensingCycle
from frameworks.models import Competency


def activities_of(*, viewer: User, learner: User) -> QuerySet[CpdActivity]:
    """The learner's activities, newest first, with credit type, competencies and evidence.
    Only the learner reads them."""
    if viewer.pk != learner.pk:
        return CpdActivity.objects.none()
    return (
        CpdActivity.objects.filter(learner=learner)
        .select_related("credit_type")
        .prefetch_related(
            Prefetch("competencies", queryset=Competency.objects.select_related("framework")),
            "evidence",
        )
        .order_by("-occurred_on", "-id")
    )


def cycles_of(*, viewer: User, learner: User) -> QuerySet[LicensingCycle]:
    """The learner's licensing cycles, latest first. Only the learner reads them."""
    if viewer.pk != learner.pk:
        return LicensingCycle.objects.none()
    return LicensingCycle.objects.filter(learner=learner).order_by("-start_date", "-id")


def credit_types() -> QuerySet[CreditType]:
    return CreditType.objects.filter(is_active=True).order_by("order", "name")


def current_cycle(
    *, viewer: User, learner: User, today: dt.date | None = None
) -> LicensingCycle | None:
    """The cycle running today; else the one starting soonest after; else the latest."""
    today = today or timezone.localdate()
    cycles = list(cycles_of(viewer=viewer, learner=learner)[:50])
    running = [c for c in cycles if c.start_date <= today < c.end_date]
    if running:
        return running[0]
    upcoming = sorted((c for c in cycles if c.start_date > today), key=lambda c: c.start_date)
    return upcoming[0] if upcoming else (cycles[0] if cycles else None)


@dataclass
class TypeTotal:
    name: str
    is_category_1: bool
    hours: Decimal


@dataclass
class CycleTotals:
    """What a cycle has earned so far and what it still needs."""

    cycle: LicensingCycle
    by_type: list[TypeTotal] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((t.hours for t in self.by_type), Decimal(0))

    @property
    def category_1(self) -> Decimal:
        return sum((t.hours for t in self.by_type if t.is_category_1), Decimal(0))

    @property
    def still_needed(self) -> Decimal:
        return max(self.cycle.credits_required - self.total, Decimal(0))

    @property
    def category_1_still_needed(self) -> Decimal:
        return max(self.cycle.category_1_required - self.category_1, Decimal(0))

    @property
    def percent(self) -> int:
        if self.cycle.credits_required <= 0:
            return 100
        return min(100, int(self.total * 100 / self.cycle.credits_required))

    def days_left(self, today: dt.date | None = None) -> int:
        today = today or timezone.localdate()
        return max((self.cycle.end_date - today).days, 0)


def cycle_totals(*, cycle: LicensingCycle) -> CycleTotals:
    """Hours per credit type earned within the cycle's dates, summed in the database: one
    query, whatever the number of activities."""
    rows = (
        CpdActivity.objects.filter(learner_id=cycle.learner_id)
        .between(cycle.start_date, cycle.end_date)
        .values("credit_type__name", "credit_type__is_category_1", "credit_type__order")
        .annotate(hours=Sum("hours"))
        .order_by("credit_type__order", "credit_type__name")
    )
    return CycleTotals(
        cycle=cycle,
        by_type=[
            TypeTotal(row["credit_type__name"], row["credit_type__is_category_1"], row["hours"])
            for row in rows
        ],
    )

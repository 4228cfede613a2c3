"""Reads for the CPD diary. The diary and cycles are the learner's own: nobody else reads
them here (a learner shares CPD through evidence and their exported archive)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from core.db import fetch_all, placeholders
from cpd.models import CpdActivity, CpdActivityQuerySet, CreditType, LicensingCycle
from frameworks.models import Competency

_CENT = Decimal("0.01")


def activities_of(*, viewer: User, learner: User) -> CpdActivityQuerySet:
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


# Hours per cycle and credit type, each activity counted in every cycle whose dates hold it.
# The ORM has no join between cycles and activities (they share only their learner).
_TOTALS_SQL = f"""
SELECT c.id, t.name, t.is_category_1, SUM(a.hours)
FROM {LicensingCycle._meta.db_table} c
JOIN {CpdActivity._meta.db_table} a
  ON a.learner_id = c.learner_id AND a.occurred_on >= c.start_date AND a.occurred_on < c.end_date
JOIN {CreditType._meta.db_table} t ON t.id = a.credit_type_id
WHERE c.id IN ({{cycles}})
GROUP BY c.id, t.id, t.name, t.is_category_1, t."order"
ORDER BY c.id, t."order", t.name"""  # noqa: S608 — table and column names are ours


def cycles_totals(*, cycles: list[LicensingCycle]) -> list[CycleTotals]:
    """Each cycle's hours per credit type within its dates, summed in the database: one
    statement for any number of cycles and activities (none for no cycles)."""
    if not cycles:
        return []
    rows = fetch_all(_TOTALS_SQL.format(cycles=placeholders(len(cycles))), [c.pk for c in cycles])
    by_cycle: dict[int, list[TypeTotal]] = {}
    for cycle_id, name, is_category_1, hours in rows:
        by_cycle.setdefault(cycle_id, []).append(
            TypeTotal(name, bool(is_category_1), _hours_from_db(hours))
        )
    return [CycleTotals(cycle=c, by_type=by_cycle.get(c.pk, [])) for c in cycles]


def _hours_from_db(value: Any) -> Decimal:
    """A sum of hours from a plain statement: PostgreSQL answers an exact decimal; SQLite a
    float, whose rounding to the hundredth recovers the exact sum of hundredths."""
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(_CENT)


def cycle_totals(*, cycle: LicensingCycle) -> CycleTotals:
    """`cycles_totals` of one cycle: one query."""
    return cycles_totals(cycles=[cycle])[0]

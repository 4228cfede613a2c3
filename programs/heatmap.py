"""The cohort heatmap: learners × sub-competencies for one program and review period.

Each cell is the committee's current consensus for the period or, where there is none, the
median of the assessor ratings observed in the period — with the number of ratings, so a
median of one rating is never mistaken for a pattern. Cells are compared with the expected
level for the learner's training year during the period. Everything is aggregated in the
database in a fixed number of queries (see `heatmap_build`), whatever the cohort size.

This module composes programs with the assessments app; callers check access first (the
program comes from `programs.selectors.programs_reviewed_by`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, FilteredRelation, Q, QuerySet
from django.utils import timezone

from assessments.models import Assessment
from frameworks.models import Competency
from programs.dbfunctions import Median
from programs.models import (
    Cohort,
    ConsensusRating,
    Enrollment,
    Expectation,
    LearnerReview,
    Program,
    ReviewPeriod,
)

HOLMBOE_THRESHOLD = 2.5
HOLMBOE_NOTE = (
    "Rated 2.5 or lower at the end of PGY-2: in a national cohort such ratings predicted not "
    "reaching level 4 by graduation (Holmboe et al., Academic Medicine 2020)."
)

# Colour bands relative to the expected level (gap = value − expected).
BANDS = (
    ("ahead", "At least one level above expectation"),
    ("on-track", "At or up to one level above expectation"),
    ("slightly-below", "Less than one level below expectation"),
    ("below", "One level or more below expectation"),
    ("no-data", "No consensus and no ratings in the period"),
)


def band_of(gap: float | None) -> str:
    if gap is None:
        return "no-data"
    if gap >= 1:
        return "ahead"
    if gap >= 0:
        return "on-track"
    if gap > -1:
        return "slightly-below"
    return "below"


@dataclass
class Filters:
    period_id: int | None = None
    cohort_id: int | None = None
    year: int | None = None
    domain_id: int | None = None

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        def number(name: str) -> int | None:
            value = params.get(name)
            try:
                return int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                return None

        return cls(number("period"), number("cohort"), number("year"), number("domain"))


@dataclass
class Cell:
    competency_id: int
    value: float | None
    source: str  # "consensus", "ratings" or "" (nothing)
    n: int  # assessor ratings in the period
    expected: Decimal
    flags: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        return None if self.value is None else self.value - float(self.expected)

    @property
    def band(self) -> str:
        return band_of(self.gap)

    def as_dict(self) -> dict[str, Any]:
        gap = self.gap
        return {
            "competency_id": self.competency_id,
            "value": self.value,
            "source": self.source,
            "n": self.n,
            "expected": float(self.expected),
            "gap": None if gap is None else round(gap, 2),
            "band": band_of(gap),
            "flags": self.flags,
        }


@dataclass
class Row:
    learner_id: int
    name: str
    email: str
    cohort: str
    training_year: int
    year_label: str
    review_status: str
    cells: list[Cell]

    @property
    def below_count(self) -> int:
        return sum(1 for c in self.cells if c.band == "below")

    @property
    def flag_count(self) -> int:
        return sum(1 for c in self.cells if c.flags)

    @property
    def shortfall(self) -> float:
        """Sum of how far cells fall short of expectation (0 when none do)."""
        return round(sum(-g for c in self.cells if (g := c.gap) is not None and g < 0), 2)

    @property
    def rated_count(self) -> int:
        return sum(1 for c in self.cells if c.value is not None)


@dataclass
class Heatmap:
    program: Program
    period: ReviewPeriod | None
    periods: list[ReviewPeriod]
    cohorts: list[Cohort]
    domains: list[Competency]
    competencies: list[Competency]
    rows: list[Row]
    filters: Filters
    years: list[int]

    def as_dict(self) -> dict[str, Any]:
        period = self.period
        return {
            "program": {"id": self.program.pk, "name": self.program.name},
            "period": None
            if period is None
            else {
                "id": period.pk,
                "name": period.name,
                "start_date": period.start_date.isoformat(),
                "end_date": period.end_date.isoformat(),
                "is_year_end": period.is_year_end,
            },
            "filters": {
                "period": period.pk if period else None,
                "cohort": self.filters.cohort_id,
                "year": self.filters.year,
                "domain": self.filters.domain_id,
            },
            "competencies": [
                {
                    "id": c.pk,
                    "code": c.code,
                    "title": c.title,
                    "domain": c.parent.code if c.parent else "",
                }
                for c in self.competencies
            ],
            "rows": [
                {
                    "learner_id": r.learner_id,
                    "name": r.name,
                    "cohort": r.cohort,
                    "training_year": r.training_year,
                    "review_status": r.review_status,
                    "below_count": r.below_count,
                    "flag_count": r.flag_count,
                    "shortfall": r.shortfall,
                    "cells": [c.as_dict() for c in r.cells],
                }
                for r in self.rows
            ],
        }


def program_competencies(*, program: Program) -> QuerySet[Competency]:
    """The program's rated sub-competencies/EPAs with their domain, in framework order."""
    return (
        Competency.objects.ratable()
        .filter(framework__in=program.frameworks.all())
        .select_related("parent", "framework__scale")
        .order_by("framework__code", "order", "pk")
    )


def default_period(periods: list[ReviewPeriod], today: dt.date | None = None) -> ReviewPeriod:
    """The period under way (or the latest that has started), else the earliest one."""
    today = today or timezone.localdate()
    started = [p for p in periods if p.start_date <= today]
    if started:
        return max(started, key=lambda p: p.start_date)
    return min(periods, key=lambda p: p.start_date)


def enrollments_during(*, program: Program, period: ReviewPeriod) -> QuerySet[Enrollment]:
    """Enrollments in `program` that overlap `period` (graduates included for past periods)."""
    return Enrollment.objects.filter(program=program, start_date__lte=period.end_date).exclude(
        end_date__lt=period.start_date
    )


def expectation_lookup(*, program: Program) -> dict[tuple[int, int], Decimal]:
    return {
        (c, y): level
        for c, y, level in Expectation.objects.filter(program=program).values_list(
            "competency_id", "training_year", "level"
        )
    }


def heatmap_build(*, program: Program, filters: Filters, today: dt.date | None = None) -> Heatmap:
    """Build the heatmap in seven queries, whatever the number of learners:

    periods, cohorts, competencies, enrollments, expectations, reviews+consensus, medians.
    """
    today = today or timezone.localdate()
    # Query 1: the program's periods (filter choices; default period).
    periods = list(ReviewPeriod.objects.filter(program=program).order_by("-start_date"))
    # Query 2: cohorts (filter choices).
    cohorts = list(Cohort.objects.filter(program=program).order_by("-start_year", "name"))
    # Query 3: rated competencies with their domain.
    all_competencies = list(program_competencies(program=program))
    domains_by_id: dict[int, Competency] = {}
    for competency in all_competencies:
        if competency.parent is not None:
            domains_by_id.setdefault(competency.parent.pk, competency.parent)
    competencies = [
        c for c in all_competencies if filters.domain_id is None or c.parent_id == filters.domain_id
    ]
    years = list(range(1, program.duration_years + 1))
    period = next((p for p in periods if p.pk == filters.period_id), None)
    if period is None and periods:
        period = default_period(periods, today)
    heatmap = Heatmap(
        program=program,
        period=period,
        periods=periods,
        cohorts=cohorts,
        domains=list(domains_by_id.values()),
        competencies=competencies,
        rows=[],
        filters=filters,
        years=years,
    )
    if period is None or not competencies:
        return heatmap

    # Query 4: who was enrolled during the period (one row per learner, newest enrollment).
    enrollments = enrollments_during(program=program, period=period)
    if filters.cohort_id is not None:
        enrollments = enrollments.filter(cohort_id=filters.cohort_id)
    by_learner: dict[int, Enrollment] = {}
    for enrollment in enrollments.select_related("learner", "cohort").order_by("start_date"):
        enrollment.program = program  # spares a query per row in training_year_on
        by_learner[enrollment.learner_id] = enrollment
    # Query 5: expectations that override the program default.
    overrides = expectation_lookup(program=program)

    learner_ids = enrollments.values("learner_id")
    competency_ids = [c.pk for c in competencies]
    # Query 6: reviews of the period with their current consensus (left join: reviews
    # without ratings still give the learner's status and training-year snapshot).
    reviews: dict[int, tuple[str, int]] = {}
    consensus: dict[tuple[int, int], Decimal] = {}
    for learner_id, status, year, competency_id, level in (
        LearnerReview.objects.filter(period=period, learner_id__in=learner_ids)
        .annotate(current=FilteredRelation("ratings", condition=Q(ratings__is_current=True)))
        .values_list(
            "learner_id", "status", "training_year", "current__competency_id", "current__level"
        )
    ):
        reviews[learner_id] = (status, year)
        if competency_id is not None and competency_id in competency_ids:
            consensus[(learner_id, competency_id)] = level
    # Query 7: median and count of the period's assessor ratings per learner × competency.
    medians: dict[tuple[int, int], tuple[float, int]] = {
        (learner_id, competency_id): (median, n)
        for learner_id, competency_id, median, n in Assessment.objects.filter(
            learner_id__in=learner_ids,
            competency_id__in=competency_ids,
            observed_on__gte=period.start_date,
            observed_on__lte=period.end_date,
        )
        .values("learner_id", "competency_id")
        .annotate(median=Median("level"), n=Count("id"))
        .values_list("learner_id", "competency_id", "median", "n")
        .order_by()
    }

    holmboe = program.stage == Program.Stage.GME and period.is_year_end
    rows: list[Row] = []
    for learner_id, enrollment in by_learner.items():
        status, year = reviews.get(
            learner_id, ("", enrollment.training_year_on(period.start_date, today))
        )
        if filters.year is not None and year != filters.year:
            continue
        cells: list[Cell] = []
        for competency in competencies:
            key = (learner_id, competency.pk)
            expected = overrides.get((competency.pk, year), program.default_expected_level(year))
            median, n = medians.get(key, (None, 0))
            if key in consensus:
                value: float | None = float(consensus[key])
                source = "consensus"
            elif median is not None:
                value, source = round(float(median), 2), "ratings"
            else:
                value, source = None, ""
            cell = Cell(competency.pk, value, source, n, expected)
            if cell.band == "below":
                cell.flags.append("below-expected")
            if (
                holmboe
                and year == 2
                and value is not None
                and value <= HOLMBOE_THRESHOLD
                and competency.framework.scale.kind == "milestone"
            ):
                cell.flags.append("holmboe-pgy2")
            cells.append(cell)
        learner = enrollment.learner
        rows.append(
            Row(
                learner_id=learner_id,
                name=learner.name,
                email=learner.email,
                cohort=enrollment.cohort.name if enrollment.cohort else "",
                training_year=year,
                year_label=program.year_label(year),
                review_status=status,
                cells=cells,
            )
        )
    # Most concern first: more flagged cells, then a larger total shortfall, then name.
    rows.sort(key=lambda r: (-r.flag_count, -r.shortfall, r.name.lower()))
    heatmap.rows = rows
    return heatmap


def consensus_of_period(*, period: ReviewPeriod) -> QuerySet[ConsensusRating]:
    return ConsensusRating.objects.current().filter(review__period=period)

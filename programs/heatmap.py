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

from django.db import connection
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
    training_year_at,
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


SOURCE_NAMES = {"c": "consensus", "r": "ratings", "-": ""}
_NO_RATINGS: tuple[float | None, int] = (None, 0)


@dataclass
class Cell:
    """One learner × sub-competency, for readers that want objects (flags, distributions)."""

    competency_id: int
    value: float | None
    source: str  # "consensus", "ratings" or "" (nothing)
    n: int  # assessor ratings in the period
    expected: Decimal
    gap: float | None
    band: str
    flags: list[str] = field(default_factory=list)


@dataclass
class Row:
    """A learner's row, kept as parallel lists (one entry per competency column): the
    heatmap of a large program has thousands of cells and plain lists are what the JSON and
    HTML writers need."""

    learner_id: int
    name: str
    email: str
    cohort: str
    training_year: int
    year_label: str
    review_status: str
    competency_ids: list[int]
    values: list[float | None]
    sources: str  # one letter per column: c(onsensus), r(atings), - (none)
    counts: list[int]
    expected: list[Decimal]
    bands: list[str]
    flags: dict[int, list[str]]  # column index -> flags, only for flagged cells
    below_count: int = 0
    shortfall: float = 0.0

    @property
    def flag_count(self) -> int:
        return len(self.flags)

    @property
    def rated_count(self) -> int:
        return sum(1 for v in self.values if v is not None)

    @property
    def cells(self) -> list[Cell]:
        return [
            Cell(
                competency_id=cid,
                value=value,
                source=SOURCE_NAMES[self.sources[i]],
                n=self.counts[i],
                expected=self.expected[i],
                gap=None if value is None else value - float(self.expected[i]),
                band=self.bands[i],
                flags=self.flags.get(i, []),
            )
            for i, (cid, value) in enumerate(zip(self.competency_ids, self.values, strict=True))
        ]


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
    expected_by_year: dict[int, list[Decimal]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The API document. Cells are column-aligned lists per row (see docs/programs.md):
        `values[i]`, `sources[i]` and `n[i]` belong to `competencies[i]`; the colour band is
        `values[i]` against `expected[training_year][i]`; `flags` lists flagged columns."""
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
            "expected": {
                str(year): [float(level) for level in levels]
                for year, levels in self.expected_by_year.items()
            },
            "rows": [
                {
                    "learner_id": r.learner_id,
                    "name": r.name,
                    "cohort": r.cohort,
                    "training_year": r.training_year,
                    "review_status": r.review_status,
                    "below_count": r.below_count,
                    "flag_count": len(r.flags),
                    "shortfall": r.shortfall,
                    "values": r.values,
                    "sources": r.sources,
                    "n": r.counts,
                    "flags": {str(r.competency_ids[i]): f for i, f in r.flags.items()},
                }
                for r in self.rows
            ],
        }


def _plain_rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """Run a values_list queryset through a plain cursor, skipping the ORM's per-value
    converters: for thousands of numeric rows they cost more than the query. Only for
    columns whose database value is already what the caller needs (ids, text, numbers)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
    # Plain values, not model instances: a large program has hundreds.
    enrollments = enrollments_during(program=program, period=period)
    if filters.cohort_id is not None:
        enrollments = enrollments.filter(cohort_id=filters.cohort_id)
    by_learner: dict[int, tuple[str, str, str, int]] = {}
    for (
        learner_id,
        display_name,
        first,
        last,
        email,
        cohort,
        year,
        end_date,
    ) in enrollments.order_by("start_date").values_list(
        "learner_id",
        "learner__display_name",
        "learner__first_name",
        "learner__last_name",
        "learner__email",
        "cohort__name",
        "training_year",
        "end_date",
    ):
        name = display_name or f"{first} {last}".strip() or email
        year_then = training_year_at(program, year, end_date, period.start_date, today)
        by_learner[learner_id] = (name, email, cohort or "", year_then)
    # Query 5: expectations that override the program default.
    overrides = expectation_lookup(program=program)

    learner_ids = enrollments.values("learner_id")
    competency_ids = [c.pk for c in competencies]
    # Query 6: reviews of the period with their current consensus (left join: reviews
    # without ratings still give the learner's status and training-year snapshot).
    reviews: dict[int, tuple[str, int]] = {}
    consensus: dict[int, dict[int, float]] = {}
    for learner_id, status, year, competency_id, level in _plain_rows(
        LearnerReview.objects.filter(period=period, learner_id__in=learner_ids)
        .annotate(current=FilteredRelation("ratings", condition=Q(ratings__is_current=True)))
        .values_list(
            "learner_id", "status", "training_year", "current__competency_id", "current__level"
        )
    ):
        reviews[learner_id] = (status, year)
        if competency_id is not None:
            consensus.setdefault(learner_id, {})[competency_id] = float(level)
    # Query 7: median and count of the period's assessor ratings per learner × competency.
    medians: dict[int, dict[int, tuple[float, int]]] = {}
    for learner_id, competency_id, median, n in _plain_rows(
        Assessment.objects.filter(
            learner_id__in=learner_ids,
            competency_id__in=competency_ids,
            observed_on__gte=period.start_date,
            observed_on__lte=period.end_date,
        )
        .values("learner_id", "competency_id")
        .annotate(median=Median("level"), n=Count("id"))
        .values_list("learner_id", "competency_id", "median", "n")
        .order_by()
    ):
        # Medians of levels on a half-step scale are multiples of 0.25: exact in a float.
        medians.setdefault(learner_id, {})[competency_id] = (float(median), n)

    holmboe_columns = (
        {i for i, c in enumerate(competencies) if c.framework.scale.kind == "milestone"}
        if program.stage == Program.Stage.GME and period.is_year_end
        else set()
    )
    expected_by_year = {
        year: [
            overrides.get((cid, year), program.default_expected_level(year))
            for cid in competency_ids
        ]
        for year in years
    }
    expected_floats = {
        year: [float(x) for x in levels] for year, levels in expected_by_year.items()
    }
    columns = list(enumerate(competency_ids))
    rows: list[Row] = []
    for learner_id, (name, email, cohort_name, year_then) in by_learner.items():
        status, year = reviews.get(learner_id, ("", year_then))
        if filters.year is not None and year != filters.year:
            continue
        if year not in expected_by_year:  # beyond the program's length: use the final year
            expected_by_year[year] = expected_by_year[years[-1]]
            expected_floats[year] = expected_floats[years[-1]]
        expected = expected_floats[year]
        learner_consensus = consensus.get(learner_id, {})
        learner_medians = medians.get(learner_id, {})
        values: list[float | None] = []
        sources: list[str] = []
        counts: list[int] = []
        bands: list[str] = []
        flags: dict[int, list[str]] = {}
        below = 0
        shortfall = 0.0
        for i, competency_id in columns:
            median, n = learner_medians.get(competency_id, _NO_RATINGS)
            agreed = learner_consensus.get(competency_id)
            value: float
            if agreed is not None:
                value = agreed
                sources.append("c")
            elif median is not None:
                value = median
                sources.append("r")
            else:
                values.append(None)
                sources.append("-")
                counts.append(0)
                bands.append("no-data")
                continue
            values.append(value)
            counts.append(n)
            gap = value - expected[i]
            if gap >= 1:
                bands.append("ahead")
            elif gap >= 0:
                bands.append("on-track")
            elif gap > -1:
                bands.append("slightly-below")
                shortfall -= gap
            else:
                bands.append("below")
                shortfall -= gap
                below += 1
                flags[i] = ["below-expected"]
            if year == 2 and i in holmboe_columns and value <= HOLMBOE_THRESHOLD:
                flags.setdefault(i, []).append("holmboe-pgy2")
        rows.append(
            Row(
                learner_id=learner_id,
                name=name,
                email=email,
                cohort=cohort_name,
                training_year=year,
                year_label=program.year_label(year),
                review_status=status,
                competency_ids=competency_ids,
                values=values,
                sources="".join(sources),
                counts=counts,
                expected=expected_by_year[year],
                bands=bands,
                flags=flags,
                below_count=below,
                shortfall=round(shortfall, 2),
            )
        )
    heatmap.expected_by_year = {y: expected_by_year[y] for y in years}
    # Most concern first: more flagged cells, then a larger total shortfall, then name.
    rows.sort(key=lambda r: (-r.flag_count, -r.shortfall, r.name.lower()))
    heatmap.rows = rows
    return heatmap


def consensus_of_period(*, period: ReviewPeriod) -> QuerySet[ConsensusRating]:
    return ConsensusRating.objects.current().filter(review__period=period)

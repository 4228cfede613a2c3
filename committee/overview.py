"""Aggregates: a program's distributions and trends, and the institution overview.

Small-cell rule: a number shown to someone who may not see the individuals behind it never
rests on fewer than `MIN_CELL` learners — such cells are withheld, not rounded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment, ProgramMonthLearners, ProgramRatingHistogram
from assessments.summaries.programs import month_sql
from committee.heatmap import Filters, Heatmap, heatmap_build
from core.db import (
    Read,
    fetch_all,
    median_sql,
    percentile,
    percentile_sql,
    percentiles_of_counts,
    placeholders,
    read_together,
)
from frameworks.models import Competency
from programs.models import Enrollment, Program, ReviewPeriod
from programs.selectors import overview_programs_read, reviewed_program_ids_read

MIN_CELL = 5
OVERVIEW_MONTHS = 6
QUARTILES = (0.25, 0.5, 0.75)


# --- One program: distributions by training year, trends across periods ---------------------


@dataclass
class Distribution:
    competency: Competency
    year: int
    year_label: str
    n: int
    minimum: float | None
    q1: float | None
    median: float | None
    q3: float | None
    maximum: float | None
    below: int  # learners ≥1 level below expectation


@dataclass
class TrendPoint:
    period: ReviewPeriod
    competency: Competency
    learners: int
    ratings: int
    median: float


@dataclass
class ProgramAggregates:
    heatmap: Heatmap
    distributions: list[Distribution]
    trends: list[TrendPoint]
    trend_periods: list[ReviewPeriod]


def _trend_rows(
    *, program: Program, competency_ids: list[int]
) -> list[tuple[int, int, int, int, float]]:
    """Per period × competency: learners rated, ratings, median — for the program's learners,
    over every period, in one query."""
    if not competency_ids:
        return []
    ids = placeholders(len(competency_ids))
    sql = f"""
        SELECT p.id, a.competency_id, COUNT(DISTINCT a.learner_id), COUNT(*),
               {median_sql("a.counted_level", connection.vendor)}
        FROM {ReviewPeriod._meta.db_table} p
        JOIN {Enrollment._meta.db_table} e
          ON e.program_id = p.program_id AND e.start_date <= p.end_date
         AND (e.end_date IS NULL OR e.end_date >= p.start_date)
        JOIN {Assessment._meta.db_table} a
          ON a.learner_id = e.learner_id AND a.observed_on BETWEEN p.start_date AND p.end_date
        WHERE p.program_id = %s AND a.competency_id IN ({ids}) AND a.counted_level IS NOT NULL
        GROUP BY p.id, a.competency_id
    """  # noqa: S608 — only placeholders are interpolated
    rows = fetch_all(sql, [program.pk, *competency_ids])
    return [(int(p), int(c), int(k), int(n), float(m)) for p, c, k, n, m in rows]


def distributions_build(*, program: Program, filters: Filters) -> ProgramAggregates:
    """Per-competency spread of learners' cell values by training year (the heatmap's
    numbers, grouped), and the median rating per period (trends). Seven queries."""
    # Queries 1–6: the heatmap (cells aggregated in the database).
    heatmap = heatmap_build(program=program, filters=filters)
    distributions: list[Distribution] = []
    for index, competency in enumerate(heatmap.competencies):
        by_year: dict[int, list[tuple[float, bool]]] = {}
        for row in heatmap.rows:
            value = row.values[index]
            if value is not None:
                by_year.setdefault(row.training_year, []).append(
                    (value, row.bands[index] == "below")
                )
        for year in heatmap.years:
            values = [v for v, _ in by_year.get(year, [])]
            distributions.append(
                Distribution(
                    competency=competency,
                    year=year,
                    year_label=program.year_label(year),
                    n=len(values),
                    minimum=min(values) if values else None,
                    q1=percentile(values, 0.25),
                    median=percentile(values, 0.5),
                    q3=percentile(values, 0.75),
                    maximum=max(values) if values else None,
                    below=sum(1 for _, b in by_year.get(year, []) if b),
                )
            )
    competencies = {c.pk: c for c in heatmap.competencies}
    periods = {p.pk: p for p in heatmap.periods}
    # Query 7: medians per period × competency.
    trends = [
        TrendPoint(periods[p], competencies[c], k, n, round(m, 2))
        for p, c, k, n, m in _trend_rows(program=program, competency_ids=list(competencies))
        if p in periods
    ]
    trends.sort(key=lambda t: (t.period.start_date, t.competency.order))
    trend_periods = sorted({t.period for t in trends}, key=lambda p: p.start_date)
    return ProgramAggregates(heatmap, distributions, trends, trend_periods)


# --- The institution overview -----------------------------------------------------------------


@dataclass(slots=True)
class OverviewRow:
    """A program × training year; the numbers are None when withheld (`suppressed`)."""

    program: Program
    year: int
    year_label: str
    learners: int
    rated: int | None = None
    ratings: int | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    suppressed: bool = True
    can_review: bool = False

    @property
    def learners_shown(self) -> int | None:
        return self.learners if self.can_review or self.learners >= MIN_CELL else None


@dataclass
class Overview:
    since: dt.date
    until: dt.date
    rows: list[OverviewRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "min_cell": MIN_CELL,
            "rows": [
                {
                    "program_id": r.program.pk,
                    "program": r.program.name,
                    "institution": r.program.institution.name,
                    "training_year": r.year,
                    "learners": r.learners_shown,
                    "learners_rated": r.rated,
                    "ratings": r.ratings,
                    "median": r.median,
                    "q1": r.q1,
                    "q3": r.q3,
                    "suppressed": r.suppressed,
                }
                for r in self.rows
            ],
        }


def overview_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The overview's calendar months: the first day of the month OVERVIEW_MONTHS whole
    months back, and the first day after the current month (exclusive)."""
    first = today.replace(day=1)
    index = first.year * 12 + first.month - 1 - OVERVIEW_MONTHS
    since = dt.date(index // 12, index % 12 + 1, 1)
    return since, (first + dt.timedelta(days=32)).replace(day=1)


def overview_reference_sql(vendor: str, *, institutions: str, since: str, until: str) -> str:
    """The overview's numbers computed from the raw ratings, the definition the summary must
    match exactly (the benchmark times it and compares the page with it; tests do too).

    Per program × current training year of the institutions' current learners: how many are
    enrolled, the most of them rated by an assessor in one calendar month of the window, and
    the count and quartiles of those ratings' counted levels. `institutions`, `since` and
    `until` are the placeholders to use (an IN list's contents, the window's first day, the
    first day after it)."""
    rated_month = month_sql("a.observed_on")
    return f"""
        WITH rated AS (
            SELECT e.program_id, e.training_year, a.learner_id, {rated_month} AS month,
                   a.counted_level AS level
            FROM {Enrollment._meta.db_table} e
            JOIN {Program._meta.db_table} pr ON pr.id = e.program_id
            JOIN {Assessment._meta.db_table} a ON a.learner_id = e.learner_id
            WHERE e.end_date IS NULL AND pr.institution_id IN ({institutions})
              AND a.counted_level IS NOT NULL
              AND a.observed_on >= {since} AND a.observed_on < {until}
        ), enrolled AS (
            SELECT e.program_id, e.training_year, COUNT(*) AS learners
            FROM {Enrollment._meta.db_table} e
            JOIN {Program._meta.db_table} pr ON pr.id = e.program_id
            WHERE e.end_date IS NULL AND pr.institution_id IN ({institutions})
            GROUP BY e.program_id, e.training_year
        ), stats AS (
            SELECT program_id, training_year, COUNT(*) AS ratings,
                   {percentile_sql("level", 0.5, vendor)} AS median,
                   {percentile_sql("level", 0.25, vendor)} AS q1,
                   {percentile_sql("level", 0.75, vendor)} AS q3
            FROM rated GROUP BY program_id, training_year
        ), busiest AS (
            SELECT program_id, training_year, MAX(learners) AS learners
            FROM (SELECT program_id, training_year, month, COUNT(DISTINCT learner_id) AS learners
                  FROM rated GROUP BY program_id, training_year, month) by_month
            GROUP BY program_id, training_year
        )
        SELECT g.program_id, g.training_year, g.learners, COALESCE(b.learners, 0),
               COALESCE(s.ratings, 0), s.median, s.q1, s.q3
        FROM enrolled g
        LEFT JOIN stats s
          ON s.program_id = g.program_id AND s.training_year = g.training_year
        LEFT JOIN busiest b
          ON b.program_id = g.program_id AND b.training_year = g.training_year
        ORDER BY g.program_id, g.training_year
    """  # noqa: S608 — only placeholders are interpolated


def _overview_reads(
    program_ids: list[int], since: dt.date, until: dt.date
) -> tuple[Read[list[tuple[Any, ...]]], Read[list[tuple[Any, ...]]], Read[list[tuple[Any, ...]]]]:
    """The overview's three statements over the program summaries and the enrollments: the
    enrolled learners, the histogram of the window's levels and its busiest month, each per
    program × year. Their size is groups × scale steps, whatever the number of learners."""
    ids = placeholders(len(program_ids))
    enrolled = Read(
        f"SELECT program_id, training_year, COUNT(*) FROM {Enrollment._meta.db_table} "  # noqa: S608
        f"WHERE end_date IS NULL AND program_id IN ({ids}) GROUP BY program_id, training_year",
        program_ids,
        list,
    )
    # Levels come back as floats: the quartiles' arithmetic is in floats anyway, a level in
    # tenths converts to the same float in the database as in Python, and the driver builds
    # a float far faster than a Decimal (10 of the 25 ms of this read at 4,000 rows).
    histogram = Read(
        "SELECT program_id, training_year, CAST(level AS DOUBLE PRECISION), SUM(n) "  # noqa: S608
        f"FROM {ProgramRatingHistogram._meta.db_table} "
        f"WHERE program_id IN ({ids}) AND month >= %s AND month < %s "
        "GROUP BY program_id, training_year, level ORDER BY program_id, training_year, level",
        [*program_ids, since, until],
        list,
    )
    busiest = Read(
        f"SELECT program_id, training_year, MAX(learners) FROM {ProgramMonthLearners._meta.db_table} "  # noqa: S608, E501
        f"WHERE program_id IN ({ids}) AND month >= %s AND month < %s "
        "GROUP BY program_id, training_year",
        [*program_ids, since, until],
        list,
    )
    return enrolled, histogram, busiest


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def overview_build(*, viewer: User, today: dt.date | None = None) -> Overview | None:
    """The institution overview for `viewer`, or None if they have no business seeing one.

    Admins see every institution; program staff (manage or review roles) see their own
    institutions (`programs.selectors.overview_programs_read`). It reads the program summaries
    (`assessments.summaries.programs`), whose definition `overview_reference_sql` spells out on
    the raw rows. Rows of programs the viewer does not review individually are withheld when
    fewer than MIN_CELL learners were rated in every month of the window. Five queries in two
    round trips.
    """
    day = today or timezone.localdate()
    since, until = overview_window(day)
    overview = Overview(since, until - dt.timedelta(days=1))
    # Queries 1–2 (one round trip): the programs in view with their institutions, and the
    # programs whose learners the viewer reviews individually.
    programs_in_view, can_review = read_together(
        overview_programs_read(user=viewer), reviewed_program_ids_read(user=viewer)
    )
    if not programs_in_view:
        return overview if viewer.is_superuser else None
    programs = {p.pk: p for p in programs_in_view}
    # Queries 3–5 (one round trip): enrolled learners, the window's histogram, its busiest month.
    enrolled, histogram, busiest = read_together(*_overview_reads(sorted(programs), since, until))
    steps: dict[tuple[int, int], list[tuple[Any, int]]] = {}
    for program_id, year, level, n in histogram:
        steps.setdefault((program_id, year), []).append((level, n))
    rated = {(program_id, year): k for program_id, year, k in busiest}
    for program_id, year, learners in enrolled:
        program = programs[program_id]
        visible = program_id in can_review
        most = rated.get((program_id, year), 0)
        # The busiest month is a lower bound of the learners behind the numbers.
        if not visible and most < MIN_CELL:
            row = OverviewRow(program, year, program.year_label(year), learners, can_review=False)
        else:
            counts = steps.get((program_id, year), [])
            q1, median, q3 = percentiles_of_counts(counts, QUARTILES)
            row = OverviewRow(
                program,
                year,
                program.year_label(year),
                learners,
                rated=most,
                ratings=sum(n for _, n in counts),
                median=_round(median),
                q1=_round(q1),
                q3=_round(q3),
                suppressed=False,
                can_review=visible,
            )
        overview.rows.append(row)
    overview.rows.sort(key=lambda r: (r.program.institution.name, r.program.name, r.year))
    return overview

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
from assessments.models import Assessment
from committee.heatmap import Filters, Heatmap, heatmap_build
from core.db import fetch_all, median_sql, percentile, percentile_sql, placeholders
from frameworks.models import Competency
from programs.models import Enrollment, Institution, Program, ProgramRole, ReviewPeriod
from programs.selectors import MANAGE_ROLES, REVIEW_ROLES

MIN_CELL = 5
OVERVIEW_MONTHS = 6


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


@dataclass
class OverviewRow:
    program: Program
    year: int
    year_label: str
    learners: int
    rated: int | None
    ratings: int | None
    median: float | None
    q1: float | None
    q3: float | None
    suppressed: bool
    can_review: bool

    @property
    def learners_shown(self) -> int | None:
        return self.learners if self.can_review or self.learners >= MIN_CELL else None


@dataclass
class Overview:
    institutions: list[Institution]
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


def overview_sql(vendor: str) -> str:
    """Per program × training year, the current learners and their assessor ratings in a
    window: the one query behind the overview (the benchmark times it raw, too)."""
    return f"""
        SELECT e.program_id, e.training_year,
               COUNT(DISTINCT e.learner_id),
               COUNT(DISTINCT a.learner_id),
               COUNT(a.id),
               {median_sql("a.counted_level", vendor)},
               {percentile_sql("a.counted_level", 0.25, vendor)},
               {percentile_sql("a.counted_level", 0.75, vendor)}
        FROM {Enrollment._meta.db_table} e
        JOIN {Program._meta.db_table} pr ON pr.id = e.program_id
        LEFT JOIN {Assessment._meta.db_table} a
          ON a.learner_id = e.learner_id AND a.observed_on BETWEEN %s AND %s
         AND a.counted_level IS NOT NULL
        WHERE e.end_date IS NULL AND pr.institution_id = ANY_INSTITUTION
        GROUP BY e.program_id, e.training_year
        ORDER BY e.program_id, e.training_year
    """  # noqa: S608 — no user input is interpolated


def overview_build(*, viewer: User, today: dt.date | None = None) -> Overview | None:
    """The institution overview for `viewer`, or None if they have no business seeing one.

    Admins see every institution; program staff (manage or review roles) see their own
    institutions. Rows of programs the viewer does not review individually are withheld when
    they rest on fewer than MIN_CELL learners. Four queries.
    """
    until = today or timezone.localdate()
    since = until - dt.timedelta(days=OVERVIEW_MONTHS * 365 // 12)
    # Query 1: the institutions in view.
    if viewer.is_superuser:
        institutions = list(Institution.objects.order_by("name"))
    else:
        institutions = list(
            Institution.objects.filter(
                programs__roles__user=viewer,
                programs__roles__role__in=list(MANAGE_ROLES + REVIEW_ROLES),
            )
            .distinct()
            .order_by("name")
        )
    if not institutions:
        return None if not viewer.is_superuser else Overview([], since, until)
    # Query 2: their programs.
    programs = {
        p.pk: p
        for p in Program.objects.filter(institution__in=institutions).select_related("institution")
    }
    # Query 3: the programs whose learners the viewer reviews individually.
    can_review = set(
        ProgramRole.objects.filter(user=viewer, role__in=list(REVIEW_ROLES)).values_list(
            "program_id", flat=True
        )
    )
    overview = Overview(institutions, since, until)
    if not programs:
        return overview
    sql = overview_sql(connection.vendor).replace(
        "= ANY_INSTITUTION", f"IN ({', '.join(['%s'] * len(institutions))})"
    )
    # Query 4: the aggregate itself.
    rows = fetch_all(sql, [since, until, *[i.pk for i in institutions]])
    for program_id, year, learners, rated, ratings, median, q1, q3 in rows:
        program = programs[program_id]
        visible = program_id in can_review
        # Rated learners are never more than enrolled ones, so this covers both counts.
        suppressed = not visible and rated < MIN_CELL
        overview.rows.append(
            OverviewRow(
                program=program,
                year=year,
                year_label=program.year_label(year),
                learners=learners,
                rated=None if suppressed else rated,
                ratings=None if suppressed else ratings,
                median=None if suppressed or median is None else round(float(median), 2),
                q1=None if suppressed or q1 is None else round(float(q1), 2),
                q3=None if suppressed or q3 is None else round(float(q3), 2),
                suppressed=suppressed,
                can_review=visible,
            )
        )
    overview.rows.sort(key=lambda r: (r.program.institution.name, r.program.name, r.year))
    return overview

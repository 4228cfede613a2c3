"""The learner's gap dashboard: where they stand per competency, how they got there, what next.

It composes programs (enrollments, expectations), frameworks and assessments, so it lives in a
module of its own. The numbers are aggregated in the database in a fixed number of queries;
`figures` turns them into Plotly figure dicts, and the template shows the same numbers in
tables.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, cast

from django.db import connection

from accounts.models import User
from assessments.models import Assessment, SelfAssessment
from frameworks.models import Competency, Framework
from portfolio.models import TimelineEntry
from portfolio.selectors import timeline_entries_of
from programs.models import Enrollment, Program
from programs.selectors import current_enrollments, enrollments_of, expected_levels

FOCUS_NEXT_SIZE = 5


@dataclass
class CompetencyRow:
    competency: Competency
    self_level: Decimal | None
    self_on: dt.date | None
    assessor_level: Decimal | None
    assessor_on: dt.date | None
    assessor_n: int
    expected: Decimal | None

    @property
    def current(self) -> Decimal | None:
        """The level the gap is measured from: assessors' where present, else the learner's."""
        return self.assessor_level if self.assessor_level is not None else self.self_level

    @property
    def basis(self) -> str:
        if self.assessor_level is not None:
            return "assessor"
        return "self" if self.self_level is not None else ""

    @property
    def gap(self) -> Decimal | None:
        if self.expected is None or self.current is None:
            return None
        return self.expected - self.current

    @property
    def last_on(self) -> dt.date | None:
        dates = [d for d in (self.self_on, self.assessor_on) if d is not None]
        return max(dates) if dates else None


@dataclass
class FrameworkSection:
    framework: Framework
    rows: list[CompetencyRow]


@dataclass
class TrajectoryPoint:
    competency_id: int
    month: dt.date
    mean: Decimal
    n: int


@dataclass
class Boundary:
    """The start of a new stage of training, marked on the time axis."""

    on: dt.date
    label: str


@dataclass
class TimelineStage:
    institution: str
    program: str
    stage: str
    stage_label: str
    year_label: str
    start_date: dt.date
    end_date: dt.date | None
    current: bool


@dataclass
class Dashboard:
    enrollments: list[Enrollment]
    sections: list[FrameworkSection]
    self_points: list[TrajectoryPoint]
    assessor_points: list[TrajectoryPoint]
    timeline: list[TimelineStage]
    boundaries: list[Boundary] = field(default_factory=list)

    @cached_property
    def rows(self) -> list[CompetencyRow]:
        return [row for section in self.sections for row in section.rows]

    @cached_property
    def focus_next(self) -> list[CompetencyRow]:
        """Largest gaps first; among equal gaps, the one looked at longest ago."""
        behind = [row for row in self.rows if row.gap is not None and row.gap > 0]
        behind.sort(key=lambda r: (-(r.gap or 0), r.last_on or dt.date.min, r.competency.order))
        return behind[:FOCUS_NEXT_SIZE]

    @property
    def trajectory_table(self) -> list[dict[str, Any]]:
        """The trajectory chart's numbers as rows: month, competency, who rated, mean, n."""
        codes = {row.competency.pk: row.competency.code for row in self.rows}
        table = [
            {
                "month": p.month,
                "code": codes.get(p.competency_id, "?"),
                "who": who,
                "mean": p.mean,
                "n": p.n,
            }
            for who, points in (("You", self.self_points), ("Assessors", self.assessor_points))
            for p in points
        ]
        table.sort(key=lambda r: (r["month"], r["code"], r["who"]))
        return table

    @cached_property
    def unrated(self) -> list[CompetencyRow]:
        return [row for row in self.rows if row.current is None]


STAGE_LABELS = dict(Program.Stage.choices)


def timeline_of(*, learner: User) -> list[TimelineStage]:
    """Every stage of training, here and elsewhere, oldest first (two queries)."""
    stages = [
        TimelineStage(
            institution=e.program.institution.name,
            program=e.program.name,
            stage=e.program.stage,
            stage_label=STAGE_LABELS.get(e.program.stage, e.program.stage),
            year_label=e.year_label,
            start_date=e.start_date,
            end_date=e.end_date,
            current=e.end_date is None,
        )
        for e in enrollments_of(learner=learner)
    ]
    entry: TimelineEntry
    for entry in timeline_entries_of(learner=learner):
        stages.append(
            TimelineStage(
                institution=entry.institution_name,
                program=entry.program_name,
                stage=entry.stage,
                stage_label=STAGE_LABELS.get(entry.stage, entry.stage),
                year_label=entry.year_label,
                start_date=entry.start_date,
                end_date=entry.end_date,
                current=False,
            )
        )
    stages.sort(key=lambda s: (s.start_date, s.program))
    return stages


def boundaries_of(timeline: list[TimelineStage]) -> list[Boundary]:
    """Where the stage changes (school → residency → fellowship → practice)."""
    result: list[Boundary] = []
    previous: str | None = None
    for stage in timeline:
        if previous is not None and stage.stage != previous:
            result.append(Boundary(on=stage.start_date, label=f"{stage.stage_label} starts"))
        previous = stage.stage
    return result


# --- The learner's ratings in one statement ---------------------------------------------------

# What a row of the ratings statement holds (its first column).
LATEST_SELF, LATEST_ASSESSOR, SELF_MONTH, ASSESSOR_MONTH = 1, 2, 3, 4
_TENTH = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")
# SQLite returns levels and means as floats, which Django's ORM turns into decimals of 15
# significant digits; the plain rows below get the same treatment, so every backend shows the
# numbers the ORM would.
_FLOAT_CONTEXT = decimal.Context(prec=15)


_LATEST_SQL = """
SELECT kind, competency_id, day, level, n FROM (
    SELECT {self_kind} AS kind, competency_id, assessed_on AS day, level, 0 AS n,
           ROW_NUMBER() OVER (PARTITION BY competency_id
                              ORDER BY assessed_on DESC, created_at DESC, id DESC) AS rn
    FROM {self_table} WHERE learner_id = %s AND competency_id IN ({ids})
    UNION ALL
    SELECT {assessor_kind}, competency_id, observed_on, level,
           COUNT(*) OVER (PARTITION BY competency_id),
           ROW_NUMBER() OVER (PARTITION BY competency_id
                              ORDER BY observed_on DESC, created_at DESC, id DESC)
    FROM {assessor_table} WHERE learner_id = %s AND competency_id IN ({ids})
) latest WHERE rn = 1"""
_MONTHLY_SQL = """
SELECT {kind}, competency_id, month, AVG(level), COUNT(*) FROM (
    SELECT competency_id, {month} AS month, level FROM {table} WHERE learner_id = %s
) rated GROUP BY competency_id, month"""


def _ratings_sql(*, competencies: int, months: bool) -> tuple[str, list[Any]]:
    """The statement behind every number of the dashboard, and the month function's parameters.

    Rows: the latest self and assessor level per competency (with the assessor count), then
    the monthly means of both — one UNION ALL, so the learner's whole history costs one round
    trip. Window functions rather than PostgreSQL's DISTINCT ON keep it portable (SQLite 3.25+);
    both read the learner's rows through the (learner, competency, date) indexes. Only table
    names, constants and placeholders go into the text; `ratings_of` passes the values.
    """
    qn = connection.ops.quote_name
    parts: list[str] = []
    if competencies:
        parts.append(
            _LATEST_SQL.format(
                self_kind=LATEST_SELF,
                assessor_kind=LATEST_ASSESSOR,
                self_table=qn(SelfAssessment._meta.db_table),
                assessor_table=qn(Assessment._meta.db_table),
                ids=", ".join(["%s"] * competencies),
            )
        )
    month_params: tuple[Any, ...] = ()
    if months:
        for kind, model, day in (
            (SELF_MONTH, SelfAssessment, "assessed_on"),
            (ASSESSOR_MONTH, Assessment, "observed_on"),
        ):
            month, month_params = connection.ops.date_trunc_sql("month", day, ())
            if connection.vendor == "postgresql":  # date_trunc answers a timestamp
                month = f"CAST({month} AS date)"
            parts.append(
                _MONTHLY_SQL.format(kind=kind, month=month, table=qn(model._meta.db_table))
            )
    return " UNION ALL ".join(parts) + " ORDER BY 1, 3, 2", list(month_params)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):  # SQLite answers text
        return dt.date.fromisoformat(value[:10])
    return cast(dt.date, value)


def _as_postgresql_gives(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row of another backend with the types PostgreSQL returns: dates, and decimals made
    as Django's ORM makes them from SQLite's floats (15 digits; a level's own column rounded
    to its one decimal place)."""
    kind, competency_id, day, value, n = row
    if not isinstance(value, Decimal):
        value = _FLOAT_CONTEXT.create_decimal_from_float(value)
        if kind in (LATEST_SELF, LATEST_ASSESSOR):
            value = value.quantize(_TENTH)
    return kind, competency_id, _as_date(day), value, int(n)


@dataclass
class Ratings:
    """Latest (level, date[, count]) per competency id, and the monthly points."""

    latest_self: dict[int, tuple[Decimal, dt.date]] = field(default_factory=dict)
    latest_assessor: dict[int, tuple[Decimal, dt.date, int]] = field(default_factory=dict)
    self_points: list[TrajectoryPoint] = field(default_factory=list)
    assessor_points: list[TrajectoryPoint] = field(default_factory=list)


def ratings_of(*, learner: User, competency_ids: list[int], months: bool = True) -> Ratings:
    """The learner's own and assessors' ratings, aggregated in the database (one query).

    Latest levels only for `competency_ids`; monthly means over every rated competency (the
    trajectory's "mean of all" includes earlier frameworks). Only this learner's rows count.
    """
    result = Ratings()
    if not competency_ids and not months:
        return result
    sql, month_params = _ratings_sql(competencies=len(competency_ids), months=months)
    params: list[Any] = []
    if competency_ids:
        params += [learner.pk, *competency_ids, learner.pk, *competency_ids]
    if months:
        params += [*month_params, learner.pk, *month_params, learner.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()  # plain tuples: no ORM converters for hundreds of rows
    if connection.vendor != "postgresql":
        rows = [_as_postgresql_gives(row) for row in rows]
    means: dict[Decimal, Decimal] = {}  # a few distinct means recur
    latest_self, latest_assessor = result.latest_self, result.latest_assessor
    self_points, assessor_points = result.self_points, result.assessor_points
    for kind, competency_id, day, value, n in rows:
        if kind in (SELF_MONTH, ASSESSOR_MONTH):
            mean = means.get(value)
            if mean is None:
                mean = means[value] = value.quantize(_HUNDREDTH)
            (self_points if kind == SELF_MONTH else assessor_points).append(
                TrajectoryPoint(competency_id=competency_id, month=day, mean=mean, n=n)
            )
        elif kind == LATEST_SELF:
            latest_self[competency_id] = (value, day)
        else:
            latest_assessor[competency_id] = (value, day, n)
    return result


def learner_dashboard(
    *, learner: User, trajectories: bool = True, stages: bool = True
) -> Dashboard:
    """Everything the learner's dashboard shows, in a fixed number of queries (seven).

    `trajectories=False` leaves out the monthly means, `stages=False` the timeline (and with
    it the stage boundaries): the JSON API has the timeline at an endpoint of its own.
    """
    enrollments = current_enrollments(learner=learner)  # 1, 2: enrollments, their frameworks
    frameworks: dict[int, Framework] = {}
    for enrollment in enrollments:
        for framework in enrollment.program.frameworks.all():
            frameworks.setdefault(framework.pk, framework)
    competencies: list[Competency] = []
    if frameworks:
        competencies = list(  # 3: the frameworks' ratable competencies (leaves), in order
            Competency.objects.filter(
                framework__in=list(frameworks), children__isnull=True
            ).order_by("framework__code", "framework__version", "order", "id")
        )
    expected = expected_levels(enrollments=enrollments, competencies=competencies)  # 4
    ratings = ratings_of(  # 5: latest levels and monthly means
        learner=learner, competency_ids=[c.pk for c in competencies], months=trajectories
    )
    by_framework: dict[int, list[CompetencyRow]] = {}
    no_rating = (None, None)
    for c in competencies:
        c.framework = frameworks[c.framework_id]  # already loaded: no query per row
        self_level, self_on = ratings.latest_self.get(c.pk, no_rating)
        assessor_level, assessor_on, assessor_n = ratings.latest_assessor.get(c.pk, (None, None, 0))
        by_framework.setdefault(c.framework_id, []).append(
            CompetencyRow(
                competency=c,
                self_level=self_level,
                self_on=self_on,
                assessor_level=assessor_level,
                assessor_on=assessor_on,
                assessor_n=assessor_n,
                expected=expected.get(c.pk),
            )
        )
    sections = [
        FrameworkSection(framework=frameworks[pk], rows=rows) for pk, rows in by_framework.items()
    ]
    timeline = timeline_of(learner=learner) if stages else []  # 6, 7
    return Dashboard(
        enrollments=enrollments,
        sections=sections,
        self_points=ratings.self_points,
        assessor_points=ratings.assessor_points,
        timeline=timeline,
        boundaries=boundaries_of(timeline),
    )

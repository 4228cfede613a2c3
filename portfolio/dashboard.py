"""The learner's gap dashboard: where they stand per competency, how they got there, what next.

It composes programs (enrollments, expectations), frameworks and assessments, so it lives in a
module of its own. The numbers are aggregated in the database in a fixed number of queries;
`figures` turns them into Plotly figure dicts, and the template shows the same numbers in
tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, cast

from django.db import connection
from django.http import HttpRequest

from accounts.models import User
from assessments.models import MonthlyRatingSummary
from assessments.summaries.monthly import level_of_tenths
from core.db import Read, Selection, read_together, split_row
from frameworks.models import Competency, Framework
from portfolio.models import TimelineEntry
from portfolio.selectors import timeline_entries_read
from programs.middleware import program_roles
from programs.models import Enrollment, Program
from programs.selectors import (
    OPEN_PROGRAMS_OF_LEARNER,
    enrollments_read,
    expected_levels_from,
    learner_expectation_overrides_read,
)

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

    @property
    def below(self) -> int:
        """Competencies where the current level is below the level expected now."""
        return sum(1 for row in self.rows if row.gap is not None and row.gap > 0)

    @property
    def unrated(self) -> int:
        return sum(1 for row in self.rows if row.current is None)

    @property
    def at_or_above(self) -> int:
        """Rated competencies that are not below expectation."""
        return len(self.rows) - self.below - self.unrated


class TrajectoryPoint(NamedTuple):
    """One month of one competency. A tuple: a long history has hundreds of them."""

    competency_id: int
    month: dt.date
    mean: Decimal  # to the cent
    n: int
    tenths: int  # the sum of the month's levels in tenths, for exact means across competencies


class MonthlyRow(NamedTuple):
    """One line of the monthly table: a month's mean level of one competency by one kind of
    rater, and how many ratings it rests on."""

    month: dt.date
    code: str
    rated_by: str
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


@dataclass(frozen=True)
class MonthlyMeans:
    """One rater's monthly means as parallel columns, by month then competency: what the
    trajectory chart draws, without a tuple per month. `points` has them month by month."""

    competency: tuple[int, ...] = ()
    month: tuple[dt.date, ...] = ()
    mean: list[Decimal] = field(default_factory=list)  # to the cent
    n: tuple[int, ...] = ()
    tenths: tuple[int, ...] = ()

    @cached_property
    def points(self) -> list[TrajectoryPoint]:
        columns = zip(self.competency, self.month, self.mean, self.n, self.tenths, strict=True)
        return list(map(TrajectoryPoint._make, columns))


@dataclass
class Dashboard:
    enrollments: list[Enrollment]
    sections: list[FrameworkSection]
    self_months: MonthlyMeans
    assessor_months: MonthlyMeans
    timeline: list[TimelineStage]
    boundaries: list[Boundary] = field(default_factory=list)

    @property
    def self_points(self) -> list[TrajectoryPoint]:
        return self.self_months.points

    @property
    def assessor_points(self) -> list[TrajectoryPoint]:
        return self.assessor_months.points

    @property
    def has_history(self) -> bool:
        return bool(self.self_months.month or self.assessor_months.month)

    @cached_property
    def rows(self) -> list[CompetencyRow]:
        return [row for section in self.sections for row in section.rows]

    def monthly_rows(self, competency: Competency | None = None) -> list[MonthlyRow]:
        """The trajectory chart's numbers by month, then competency (in the levels table's
        order; one from an earlier stage's framework, which the dashboard does not list, last
        as "?"), then who rated; only `competency`'s when one is given."""
        rank = {row.competency.pk: i for i, row in enumerate(self.rows)}
        codes = [row.competency.code for row in self.rows] + ["?"]
        elsewhere = len(self.rows)
        lines = [
            (p.month, rank.get(p.competency_id, elsewhere), who, p.mean, p.n)
            for who, points in (("You", self.self_points), ("Assessors", self.assessor_points))
            for p in points
            if competency is None or p.competency_id == competency.pk
        ]
        lines.sort(key=itemgetter(0, 1, 2))
        return [MonthlyRow(month, codes[i], who, mean, n) for month, i, who, mean, n in lines]

    @cached_property
    def focus_next(self) -> list[CompetencyRow]:
        """Largest gaps first; among equal gaps, the one looked at longest ago."""
        behind = [row for row in self.rows if row.gap is not None and row.gap > 0]
        behind.sort(key=lambda r: (-(r.gap or 0), r.last_on or dt.date.min, r.competency.order))
        return behind[:FOCUS_NEXT_SIZE]

    @cached_property
    def unrated(self) -> list[CompetencyRow]:
        return [row for row in self.rows if row.current is None]


STAGE_LABELS = dict(Program.Stage.choices)


def timeline_of(*, learner: User) -> list[TimelineStage]:
    """Every stage of training, here and elsewhere, oldest first (two queries, one round
    trip on PostgreSQL)."""
    return timeline_from(
        *read_together(enrollments_read(learner=learner), timeline_entries_read(learner=learner))
    )


def timeline_from(
    enrollments: list[Enrollment], entries: list[TimelineEntry]
) -> list[TimelineStage]:
    """The stages of the learner's enrollments (as `enrollments_read` gives them) and of their
    timeline entries, oldest first."""
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
        for e in enrollments
    ]
    for entry in entries:
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


# --- The competencies in use, in one statement ------------------------------------------------

# What the dashboard reads of each; the rest is deferred.
_FRAMEWORK = Selection(Framework, ("id", "code", "version", "name", "kind", "scale_id"))
_COMPETENCY = Selection(
    Competency, ("id", "framework_id", "parent_id", "code", "title", "description", "order")
)

_IN_USE_SQL = f"""
SELECT pf.program_id, {_FRAMEWORK.columns("f")}, {_COMPETENCY.columns("c")}
FROM {Program.frameworks.through._meta.db_table} pf
JOIN {Framework._meta.db_table} f ON f.id = pf.framework_id
JOIN {Competency._meta.db_table} c ON c.framework_id = f.id
WHERE pf.program_id IN ({{programs}})
  AND NOT EXISTS (SELECT 1 FROM {Competency._meta.db_table} ch WHERE ch.parent_id = c.id)
ORDER BY f.code, f.version, c."order", c.id"""  # noqa: S608 — table and column names are ours


def competencies_in_use_read(
    *, learner: User
) -> Read[tuple[list[Competency], dict[int, set[int]]]]:
    """The ratable competencies (leaves) of the frameworks of the programs the learner is in
    now, in framework then competency order, each with its framework set; and the frameworks
    of each program.

    One plain statement: it runs on every dashboard, and the ORM's query building for three
    related tables cost more than the database's work."""
    return Read(_IN_USE_SQL.format(programs=OPEN_PROGRAMS_OF_LEARNER), [learner.pk], _in_use_from)


def _in_use_from(rows: list[tuple[Any, ...]]) -> tuple[list[Competency], dict[int, set[int]]]:
    competencies: list[Competency] = []
    frameworks_of: dict[int, set[int]] = {}
    frameworks: dict[int, Framework] = {}
    seen: set[int] = set()
    for row in rows:
        program_id = row[0]
        framework_values, competency_values = split_row(row[1:], _FRAMEWORK, _COMPETENCY)
        framework_id, competency_id = framework_values[0], competency_values[0]
        frameworks_of.setdefault(program_id, set()).add(framework_id)
        if competency_id in seen:  # another of the learner's programs uses the same framework
            continue
        seen.add(competency_id)
        framework = frameworks.get(framework_id)
        if framework is None:
            framework = frameworks[framework_id] = _FRAMEWORK.build(framework_values)
        competency = _COMPETENCY.build(competency_values)
        competency.framework = framework  # no query per row later
        competencies.append(competency)
    return competencies, frameworks_of


# --- The learner's ratings in one statement ---------------------------------------------------

_HUNDREDTH = Decimal("0.01")
RatedBy = MonthlyRatingSummary.RatedBy
# Every number of the dashboard's ratings, from the monthly summary
# (`assessments.summaries.monthly`, kept exact on every write): one index-only read of the
# learner's rows, in the order the trajectory lists them (yours, then assessors'; by month,
# then competency). Sums and levels are stored as whole tenths: exact, the same on both
# databases, and integers load faster than decimals.
_RATINGS_SQL = f"""
SELECT rated_by, competency_id, month, total_tenths, n, last_tenths, last_on
FROM {MonthlyRatingSummary._meta.db_table} WHERE learner_id = %s
ORDER BY rated_by, month, competency_id"""  # noqa: S608 — the table name is ours


def _as_date(value: Any) -> dt.date:
    if isinstance(value, str):  # SQLite answers text
        return dt.date.fromisoformat(value[:10])
    return cast(dt.date, value)


def _with_dates(row: tuple[Any, ...]) -> tuple[Any, ...]:
    rated_by, competency_id, month, total, n, last_level, last_on = row
    return (rated_by, competency_id, _as_date(month), total, n, last_level, _as_date(last_on))


@dataclass
class Ratings:
    """Latest (level, date[, count]) per competency id, and the monthly means."""

    latest_self: dict[int, tuple[Decimal, dt.date]] = field(default_factory=dict)
    latest_assessor: dict[int, tuple[Decimal, dt.date, int]] = field(default_factory=dict)
    self_months: MonthlyMeans = field(default_factory=MonthlyMeans)
    assessor_months: MonthlyMeans = field(default_factory=MonthlyMeans)


def ratings_read(*, learner: User) -> Read[Ratings]:
    """The learner's own and assessors' ratings (one statement): the latest level of every
    competency they were rated on (the latest month's latest rating; for assessors, with the
    count of all their ratings) and the monthly means behind the trajectory, over every
    framework they were ever rated in. Only this learner's rows count."""
    return Read(_RATINGS_SQL, [learner.pk], _ratings_from)


@lru_cache(maxsize=16384)
def _mean_of_tenths(tenths: int, n: int) -> Decimal:
    """A month's mean, to the cent, from its sum in tenths and its count."""
    return (level_of_tenths(tenths) / n).quantize(_HUNDREDTH)


def _ratings_from(rows: list[tuple[Any, ...]]) -> Ratings:
    # Plain tuples from the driver: no ORM converters for hundreds of rows.
    if connection.vendor != "postgresql":
        rows = [_with_dates(row) for row in rows]
    result = Ratings()
    # Each distinct number once: a few dozen sums, means and levels recur across hundreds of
    # months (and across learners: the decimals are remembered between requests).
    tenths = {t: level_of_tenths(t) for t in {row[5] for row in rows}}
    means = {key: _mean_of_tenths(*key) for key in {row[3:5] for row in rows}}
    # Rows come yours first, then assessors'; each by month, so a competency's last row is
    # its latest.
    split = next((i for i, row in enumerate(rows) if row[0] != RatedBy.SELF), len(rows))
    mine, theirs = rows[:split], rows[split:]
    result.self_months = _monthly_means(mine, means)
    result.assessor_months = _monthly_means(theirs, means)
    result.latest_self = {row[1]: (tenths[row[5]], row[6]) for row in mine}
    counts: dict[int, int] = {}
    for row in theirs:
        counts[row[1]] = counts.get(row[1], 0) + row[4]
    result.latest_assessor = {row[1]: (tenths[row[5]], row[6], counts[row[1]]) for row in theirs}
    return result


def _monthly_means(
    rows: list[tuple[Any, ...]], means: dict[tuple[int, int], Decimal]
) -> MonthlyMeans:
    """The rows' months as columns, transposed and mapped in C (hundreds of months)."""
    if not rows:
        return MonthlyMeans()
    _, competency, month, tenths, n, _, _ = zip(*rows, strict=True)
    return MonthlyMeans(
        competency, month, list(map(means.__getitem__, zip(tenths, n, strict=True))), n, tenths
    )


def learner_dashboard(*, learner: User, stages: bool = True) -> Dashboard:
    """Everything the learner's dashboard shows, in a fixed number of queries (five), which
    travel in one round trip on PostgreSQL.

    `stages=False` leaves out the timeline (and with it the stage boundaries): the JSON API has
    the timeline at an endpoint of its own.
    """
    return dashboard_from(read_together(*dashboard_reads(learner=learner, stages=stages)))


def page_dashboard(request: HttpRequest, *, learner: User, stages: bool) -> Dashboard:
    """`learner_dashboard` for a page: the roles the navigation (and the worklist) need are
    read in the same round trip, and kept on the request."""
    return dashboard_from(
        program_roles(request).read_with(*dashboard_reads(learner=learner, stages=stages))
    )


def dashboard_reads(*, learner: User, stages: bool = True) -> list[Read[Any]]:
    """The dashboard's statements, for a page that reads more beside them in the same round
    trip (`dashboard_from` builds the dashboard from their results). They depend on nothing
    but the learner."""
    reads: list[Read[Any]] = [
        enrollments_read(learner=learner),  # 1: for the timeline too
        competencies_in_use_read(learner=learner),  # 2
        learner_expectation_overrides_read(learner=learner),  # 3
        ratings_read(learner=learner),  # 4: latest levels and monthly means
    ]
    if stages:
        reads.append(timeline_entries_read(learner=learner))  # 5
    return reads


def dashboard_from(results: Sequence[Any]) -> Dashboard:
    """The dashboard from the results of `dashboard_reads`, in their order."""
    every_enrollment, (competencies, frameworks_of), overrides, ratings, *entries = results
    # The open ones, newest first (as `current_enrollments` orders them).
    enrollments = [e for e in reversed(every_enrollment) if e.end_date is None]
    deciding: dict[int, Enrollment] = {}  # framework id → the enrollment whose year counts
    for enrollment in enrollments:  # newest first: the newest program wins a shared framework
        for framework_id in frameworks_of.get(enrollment.program_id, ()):
            deciding.setdefault(framework_id, enrollment)
    expected = expected_levels_from(
        {c.pk: deciding[c.framework_id] for c in competencies}, overrides
    )
    by_framework: dict[int, list[CompetencyRow]] = {}
    no_rating = (None, None)
    for c in competencies:
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
        FrameworkSection(framework=rows[0].competency.framework, rows=rows)
        for rows in by_framework.values()
    ]
    timeline = timeline_from(every_enrollment, entries[0]) if entries else []
    return Dashboard(
        enrollments=enrollments,
        sections=sections,
        self_months=ratings.self_months,
        assessor_months=ratings.assessor_months,
        timeline=timeline,
        boundaries=boundaries_of(timeline),
    )

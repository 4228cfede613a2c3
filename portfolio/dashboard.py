"""The learner's gap dashboard: where they stand per competency, how they got there, what next.

It composes programs (enrollments, expectations), frameworks and assessments, so it lives in a
module of its own. The numbers are aggregated in the database in a fixed number of queries;
`figures` turns them into Plotly figure dicts, and the template shows the same numbers in
tables.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, cast

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from assessments.models import MonthlyRatingSummary
from assessments.summaries.monthly import level_of_tenths
from core.db import Read, Selection, date_from_db, read_together, split_row
from frameworks.models import Competency, Framework
from portfolio.models import TimelineEntry
from portfolio.selectors import timeline_entries_read
from programs.expectations import (
    end_of_year_level,
    expected_level,
    year_fraction,
)
from programs.middleware import program_roles
from programs.models import Enrollment, PracticeStage, Program
from programs.selectors import (
    LearnerExpectations,
    enrollments_read,
    expected_levels_from,
    learner_expectations_read,
    practice_stages_read,
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
    practice: PracticeStage | None = None
    # Competencies of earlier stages' frameworks, for the history's labels.
    earlier: dict[int, Competency] = field(default_factory=dict)
    history: History | None = None
    ratings: Ratings | None = None

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

    @cached_property
    def charted(self) -> list[Competency]:
        """Every competency the history may name: the dashboard's, in its order, then those
        of earlier stages' frameworks in theirs."""
        return [row.competency for row in self.rows] + list(self.earlier.values())

    def monthly_rows(self, competency: Competency | None = None) -> list[MonthlyRow]:
        """The trajectory chart's numbers by month, then competency (in `charted` order; one
        the deployment does not know last, as "?"), then who rated; only `competency`'s when
        one is given."""
        rank = {c.pk: i for i, c in enumerate(self.charted)}
        codes = [c.code for c in self.charted] + ["?"]
        elsewhere = len(self.charted)
        lines = [
            (p.month, rank.get(p.competency_id, elsewhere), who, p.mean, p.n)
            for who, points in (("You", self.self_points), ("Assessors", self.assessor_points))
            for p in points
            if competency is None or p.competency_id == competency.pk
        ]
        lines.sort(key=itemgetter(0, 1, 2))
        return [MonthlyRow(month, codes[i], who, mean, n) for month, i, who, mean, n in lines]

    def framework_monthly_rows(self) -> list[MonthlyRow]:
        """Per framework, each month's mean of all its ratings, by who rated: the chart's
        "mean" lines. Never across frameworks: their scales differ (an EPA entrustment level
        is not a milestone level). `code` holds the framework's name."""
        framework_of = {c.pk: c.framework for c in self.charted}
        order: dict[int, int] = {}
        for c in self.charted:
            order.setdefault(c.framework_id, len(order))
        sums: dict[tuple[dt.date, int, str], list[int]] = {}
        for who, points in (("You", self.self_points), ("Assessors", self.assessor_points)):
            for p in points:
                framework = framework_of.get(p.competency_id)
                if framework is None:
                    continue
                total = sums.setdefault((p.month, framework.pk, who), [0, 0])
                total[0] += p.tenths
                total[1] += p.n
        names = {f.pk: f.name for f in framework_of.values()}
        ranked = sorted(sums.items(), key=lambda item: (item[0][0], order[item[0][1]], item[0][2]))
        rows = [
            MonthlyRow(month, names[framework_id], who, _mean_of_tenths(tenths, n), n)
            for (month, framework_id, who), (tenths, n) in ranked
        ]
        return rows

    def history_ratings(
        self,
    ) -> dict[int, tuple[tuple[Decimal, dt.date] | None, tuple[Decimal, dt.date, int] | None]]:
        """Per competency ever rated: the latest self (level, date) and assessors' (level,
        date, count), whichever stage it was rated in."""
        if self.ratings is None:
            return {}
        mine, theirs = self.ratings.latest_self, self.ratings.latest_assessor
        return {pk: (mine.get(pk), theirs.get(pk)) for pk in mine.keys() | theirs.keys()}

    def expected_trajectory(self, competency: Competency) -> list[tuple[dt.date, Decimal]]:
        """`History.expected_trajectory` of one competency ([] without the history)."""
        return self.history.expected_trajectory(competency) if self.history else []

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
    """Every stage of training, here and elsewhere, and of practice, oldest first (three
    queries, one round trip on PostgreSQL)."""
    return timeline_from(
        *read_together(
            enrollments_read(learner=learner),
            timeline_entries_read(learner=learner),
            practice_stages_read(learner=learner),
        )
    )


def timeline_from(
    enrollments: list[Enrollment],
    entries: list[TimelineEntry],
    practice_stages: Sequence[PracticeStage] = (),
) -> list[TimelineStage]:
    """The stages of the learner's enrollments (as `enrollments_read` gives them), of their
    timeline entries and of their own practice, oldest first."""
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
    for practice in practice_stages:
        stages.append(
            TimelineStage(
                institution="Your own",
                program=practice.label,
                stage=Program.Stage.CPD,
                stage_label=STAGE_LABELS[Program.Stage.CPD],
                year_label="",
                start_date=practice.start_date,
                end_date=practice.end_date,
                current=practice.end_date is None,
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

_PRACTICE_FRAMEWORKS = PracticeStage.frameworks.through
_COMPETENCY_ORDER = ", ".join(
    str(3 + position)
    for position in (
        _FRAMEWORK.attnames.index("code"),
        _FRAMEWORK.attnames.index("version"),
        _FRAMEWORK.width + _COMPETENCY.attnames.index("order"),
        _FRAMEWORK.width + _COMPETENCY.attnames.index("id"),
    )
)
# Each row is told by its first column: 0 a framework of a program the learner is in now,
# 1 one their practice stage follows, 2 one of a program they were in, 3 a competency they
# were rated on in any other framework (an imported history). The first two are the
# dashboard's; the others keep the codes and titles of the history's earlier stages.
_IN_USE_SQL = f"""
SELECT u.part, u.program_id, {_FRAMEWORK.columns("f")}, {_COMPETENCY.columns("c")}
FROM (
  SELECT DISTINCT CASE WHEN e.end_date IS NULL THEN 0 ELSE 2 END AS part, pf.program_id,
         pf.framework_id
  FROM {Enrollment._meta.db_table} e
  JOIN {Program.frameworks.through._meta.db_table} pf ON pf.program_id = e.program_id
  WHERE e.learner_id = %s
  UNION ALL
  SELECT 1, NULL, sf.framework_id
  FROM {_PRACTICE_FRAMEWORKS._meta.db_table} sf
  JOIN {PracticeStage._meta.db_table} s ON s.id = sf.practicestage_id
  WHERE s.learner_id = %s AND s.end_date IS NULL
) u
JOIN {Framework._meta.db_table} f ON f.id = u.framework_id
JOIN {Competency._meta.db_table} c ON c.framework_id = f.id
WHERE NOT EXISTS (SELECT 1 FROM {Competency._meta.db_table} ch WHERE ch.parent_id = c.id)
UNION ALL
SELECT 3, NULL, {_FRAMEWORK.columns("f")}, {_COMPETENCY.columns("c")}
FROM {Competency._meta.db_table} c
JOIN {Framework._meta.db_table} f ON f.id = c.framework_id
WHERE c.id IN (
  SELECT r.competency_id FROM {MonthlyRatingSummary._meta.db_table} r WHERE r.learner_id = %s)
ORDER BY 1, {_COMPETENCY_ORDER}"""  # noqa: S608 — table and column names are ours


@dataclass
class InUse:
    """The dashboard's competencies (of the programs the learner is in and of their practice
    stage), in framework then competency order, each with its framework set; the frameworks
    of every program they are or were in (`None`: their practice stage's); and the
    competencies of their history outside those, for its labels."""

    competencies: list[Competency]
    frameworks_of: dict[int | None, set[int]]
    earlier: dict[int, Competency]


def competencies_in_use_read(*, learner: User) -> Read[InUse]:
    """The ratable competencies (leaves) the learner works on now, and those of their
    history (`InUse`).

    One plain statement: it runs on every dashboard, and the ORM's query building for three
    related tables cost more than the database's work."""
    return Read(_IN_USE_SQL, [learner.pk, learner.pk, learner.pk], _in_use_from)


def _in_use_from(rows: list[tuple[Any, ...]]) -> InUse:
    competencies: list[Competency] = []
    earlier: dict[int, Competency] = {}
    frameworks_of: dict[int | None, set[int]] = {}
    frameworks: dict[int, Framework] = {}
    seen: set[int] = set()
    for row in rows:
        part, program_id = row[0], row[1]
        framework_values, competency_values = split_row(row[2:], _FRAMEWORK, _COMPETENCY)
        framework_id, competency_id = framework_values[0], competency_values[0]
        if part < 3:
            frameworks_of.setdefault(program_id, set()).add(framework_id)
        if competency_id in seen:  # another program (or the history) has the same one
            continue
        seen.add(competency_id)
        framework = frameworks.get(framework_id)
        if framework is None:
            framework = frameworks[framework_id] = _FRAMEWORK.build(framework_values)
        competency = _COMPETENCY.build(competency_values)
        competency.framework = framework  # no query per row later
        if part < 2:
            competencies.append(competency)
        else:
            earlier[competency_id] = competency
    return InUse(competencies, frameworks_of, earlier)


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


def _with_dates(row: tuple[Any, ...]) -> tuple[Any, ...]:
    rated_by, competency_id, month, total, n, last_level, last_on = row
    return (
        rated_by,
        competency_id,
        date_from_db(month),
        total,
        n,
        last_level,
        date_from_db(last_on),
    )


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
    # Rows come yours first, then assessors'; each by month, so a competency's last row is
    # its latest.
    split = bisect_right(rows, RatedBy.SELF, key=itemgetter(0))
    self_months, latest_self, _ = _rater_from(rows[:split])
    assessor_months, latest_assessor, counts = _rater_from(rows[split:])
    return Ratings(
        latest_self=latest_self,
        latest_assessor={
            competency_id: (level, on, counts[competency_id])
            for competency_id, (level, on) in latest_assessor.items()
        },
        self_months=self_months,
        assessor_months=assessor_months,
    )


def _rater_from(
    rows: list[tuple[Any, ...]],
) -> tuple[MonthlyMeans, dict[int, tuple[Decimal, dt.date]], dict[int, int]]:
    """One rater's rows as the monthly means' columns, each competency's latest (level, date)
    and its count of ratings. The rows are transposed and mapped in C (hundreds of months);
    each distinct number is worked out once (`_mean_of_tenths` and `level_of_tenths` remember
    theirs between requests)."""
    if not rows:
        return MonthlyMeans(), {}, {}
    _, competency, month, tenths, n, last_tenths, last_on = zip(*rows, strict=True)
    means = MonthlyMeans(competency, month, list(map(_mean_of_tenths, tenths, n)), n, tenths)
    # A later row of the same competency replaces an earlier one: the latest stays.
    levels = zip(map(level_of_tenths, last_tenths), last_on, strict=True)
    latest = dict(zip(competency, levels, strict=True))
    counts: dict[int, int] = {}
    for competency_id, ratings in zip(competency, n, strict=True):
        counts[competency_id] = counts.get(competency_id, 0) + ratings
    return means, latest, counts


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
        learner_expectations_read(learner=learner),  # 3: programs' levels, practice targets
        ratings_read(learner=learner),  # 4: latest levels and monthly means
    ]
    if stages:
        reads.append(timeline_entries_read(learner=learner))  # 5
    return reads


def dashboard_from(results: Sequence[Any]) -> Dashboard:
    """The dashboard from the results of `dashboard_reads`, in their order."""
    every_enrollment, in_use, expectations, ratings, *entries = results
    in_use = cast(InUse, in_use)
    expectations = cast(LearnerExpectations, expectations)
    competencies, frameworks_of = in_use.competencies, in_use.frameworks_of
    # The open ones, newest first (as `current_enrollments` orders them).
    enrollments = [e for e in reversed(every_enrollment) if e.end_date is None]
    deciding: dict[int, Enrollment] = {}  # framework id → the enrollment whose year counts
    for enrollment in enrollments:  # newest first: the newest program wins a shared framework
        for framework_id in frameworks_of.get(enrollment.program_id, ()):
            deciding.setdefault(framework_id, enrollment)
    expected = expected_levels_from(
        {c.pk: deciding[c.framework_id] for c in competencies if c.framework_id in deciding},
        expectations.overrides,
    )
    # In practice the learner's own target counts; never below what a program expects now.
    for competency_id, target in expectations.targets.items():
        expected[competency_id] = max(target, expected.get(competency_id, target))
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
    timeline = (
        timeline_from(every_enrollment, entries[0], expectations.practice_stages) if entries else []
    )
    return Dashboard(
        enrollments=enrollments,
        sections=sections,
        self_months=ratings.self_months,
        assessor_months=ratings.assessor_months,
        timeline=timeline,
        boundaries=boundaries_of(timeline),
        practice=expectations.practice,
        earlier=in_use.earlier,
        history=History(every_enrollment, frameworks_of, expectations),
        ratings=ratings,
    )


@dataclass
class History:
    """What the expected trajectory is drawn from: every enrollment (oldest first), the
    frameworks of each program (`None`: the practice stage's) and the expectations."""

    enrollments: list[Enrollment]
    frameworks_of: dict[int | None, set[int]]
    expectations: LearnerExpectations
    # An enrollment's corners for competencies its program sets no level for are the same
    # for all of them: worked out once per enrollment.
    _by_default: dict[int, list[tuple[dt.date, Decimal]]] = field(default_factory=dict)
    # A competency no program sets a level for has the line of its framework (and practice
    # target): drawn once for all that share them, as a page draws a line per competency.
    _shared_lines: dict[tuple[int, Decimal | None], list[tuple[dt.date, Decimal]]] = field(
        default_factory=dict
    )

    @cached_property
    def today(self) -> dt.date:
        """One day for every line of a page (the chart draws a line per competency)."""
        return timezone.localdate()

    @cached_property
    def _overridden(self) -> dict[int, set[int]]:
        """Per program, the competencies it sets levels for."""
        return {
            program_id: {competency_id for competency_id, _ in overrides}
            for program_id, overrides in self.expectations.overrides.items()
        }

    @cached_property
    def _overridden_anywhere(self) -> set[int]:
        return set().union(*self._overridden.values())

    def expected_trajectory(self, competency: Competency) -> list[tuple[dt.date, Decimal]]:
        """The level expected of the learner on `competency` over time, as the corners of a
        line: at each start and end of a stage using its framework and at each training
        year's end between; in practice, their target from the stage's start to today. A
        level never drops below one reached at an earlier stage."""
        if competency.pk in self._overridden_anywhere:
            return self._line(competency)
        key = (competency.framework_id, self.expectations.targets.get(competency.pk))
        line = self._shared_lines.get(key)
        if line is None:
            line = self._shared_lines[key] = self._line(competency)
        return list(line)

    def _line(self, competency: Competency) -> list[tuple[dt.date, Decimal]]:
        today = self.today
        points: list[tuple[dt.date, Decimal]] = []
        for enrollment in self.enrollments:
            if competency.framework_id not in self.frameworks_of.get(enrollment.program_id, ()):
                continue
            if competency.pk in self._overridden.get(enrollment.program_id, ()):
                overrides = self.expectations.overrides[enrollment.program_id]
                points.extend(_enrollment_corners(enrollment, overrides, competency.pk, today))
                continue
            corners = self._by_default.get(enrollment.pk)
            if corners is None:
                corners = self._by_default[enrollment.pk] = _enrollment_corners(
                    enrollment, {}, competency.pk, today
                )
            points.extend(corners)
        practice = self.expectations.practice
        target = self.expectations.targets.get(competency.pk)
        if (
            practice is not None
            and target is not None
            and competency.framework_id in self.frameworks_of.get(None, ())
        ):
            points.extend(
                [(practice.start_date, target), (max(today, practice.start_date), target)]
            )
        points.sort(key=itemgetter(0))
        floor = Decimal(0)
        result: list[tuple[dt.date, Decimal]] = []
        for day, level in points:
            floor = max(floor, level)
            if result and result[-1][0] == day:
                result[-1] = (day, floor)
            else:
                result.append((day, floor))
        return result


def _enrollment_corners(
    enrollment: Enrollment,
    overrides: Mapping[tuple[int, int], Decimal],
    competency_id: int,
    today: dt.date,
) -> list[tuple[dt.date, Decimal]]:
    """The expected level at an enrollment's start, at each training year's end within it,
    and at its end (or today)."""
    program = enrollment.program
    end = min(enrollment.end_date or today, today)
    if end < enrollment.start_date:
        return []
    first_year = enrollment.training_year_on(enrollment.start_date, today)
    last_year = enrollment.training_year_on(end, today)
    start_fraction = year_fraction(program, enrollment.start_date)
    corners = [
        (
            enrollment.start_date,
            expected_level(program, overrides, competency_id, first_year, start_fraction),
        )
    ]
    year_start = program.academic_year_of(enrollment.start_date)
    for offset, year in enumerate(range(first_year, last_year)):
        year_end = dt.date(year_start + offset + 1, program.year_start_month, 1) - dt.timedelta(1)
        corners.append((year_end, end_of_year_level(program, overrides, competency_id, year)))
    end_fraction = year_fraction(program, end)
    corners.append(
        (end, expected_level(program, overrides, competency_id, last_year, end_fraction))
    )
    return corners

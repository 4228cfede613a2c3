"""The cohort heatmap: learners × sub-competencies for one program and review period.

Each cell is the committee's current consensus for the period or, where there is none, the
median of the assessor ratings observed in the period — with the number of ratings, so a
median of one rating is never mistaken for a pattern, and never raises a flag on its own. Cells
are compared with the level expected at the period's end, part-way through the learner's
training year (`programs.expectations`). Everything is aggregated in the
database in a fixed number of queries (see `heatmap_build`), whatever the cohort size.

This module composes programs with the assessments app; callers check access first (the
program comes from `programs.selectors.programs_reviewed_by`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from assessments.models import PeriodRatingSummary
from committee.models import ConsensusRating, LearnerReview
from core.db import Read, Selection, placeholders, read_together, split_row
from frameworks.models import Competency, Framework, RatingScale
from programs.expectations import expected_level, period_fraction
from programs.models import (
    Cohort,
    Enrollment,
    Program,
    ReviewPeriod,
    training_year_at,
)
from programs.selectors import expectation_overrides_read

HOLMBOE_THRESHOLD = 2.5
# A flag on assessor ratings alone needs at least this many in the period; a committee
# consensus always counts.
MIN_RATINGS_TO_FLAG = 2


def too_thin_to_flag(source: str, n: int) -> bool:
    """A cell resting on too few assessor ratings (and no consensus) to raise a flag."""
    return source == "r" and n < MIN_RATINGS_TO_FLAG


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


class _BandByValue(dict[float | None, str]):
    """The colour band of each value against one expected level, worked out once per value:
    a heatmap has thousands of cells but few distinct values (medians and levels in steps)."""

    def __init__(self, expected: float) -> None:
        super().__init__({None: "no-data"})
        self.expected = expected

    def __missing__(self, value: float) -> str:
        band = self[value] = band_of(value - self.expected)
        return band


CONCERN_BANDS = frozenset({"slightly-below", "below"})


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
                parsed = int(value) if value not in (None, "") else None
            except (TypeError, ValueError):
                return None
            # The filters reach raw SQL as parameters, where a number wider than the
            # database's bigint is an error rather than "no such row"; such a number names
            # nothing, so it is dropped like any other malformed filter.
            return parsed if parsed is None or abs(parsed) < 2**63 else None

        return cls(number("period"), number("cohort"), number("year"), number("domain"))


SOURCE_NAMES = {"c": "consensus", "r": "ratings", "-": ""}


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
    needs_evidence: bool = False  # would be flagged, but rests on a single rating


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
    # Columns that would be flagged but rest on a single assessor rating: shown as concern,
    # never raised as a flag (one observation is not a pattern; ask for more).
    thin: list[int] = field(default_factory=list)
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
                needs_evidence=i in self.thin,
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

    # The filters' choices as (value, label), for the committee pages' filter form.
    @property
    def period_choices(self) -> list[tuple[int, str]]:
        return [(p.pk, p.name) for p in self.periods]

    @property
    def cohort_choices(self) -> list[tuple[int, str]]:
        return [(c.pk, c.name) for c in self.cohorts]

    @property
    def year_choices(self) -> list[tuple[int, int]]:
        return [(year, year) for year in self.years]

    @property
    def domain_choices(self) -> list[tuple[int, str]]:
        return [(d.pk, f"{d.code} · {d.title}") for d in self.domains]

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
                    "needs_evidence": [r.competency_ids[i] for i in r.thin],
                }
                for r in self.rows
            ],
        }


# The filter choices and columns of the heatmap: three small reads on every view, as plain
# statements (the ORM's query building cost more than the database's work).
_PERIOD = Selection(ReviewPeriod)
_COHORT = Selection(Cohort)
_NODE = Selection(Competency)
_FRAMEWORK = Selection(Framework)
_SCALE = Selection(RatingScale)

_PERIODS_SQL = f"""
SELECT {_PERIOD.columns("p")} FROM {ReviewPeriod._meta.db_table} p
WHERE p.program_id = %s ORDER BY p.start_date DESC, p.id DESC"""  # noqa: S608 — our names

_COHORTS_SQL = f"""
SELECT {_COHORT.columns("c")} FROM {Cohort._meta.db_table} c
WHERE c.program_id = %s ORDER BY c.start_year DESC, c.name"""  # noqa: S608 — our names

# Every node of the program's frameworks, with its framework and rating scale.
_NODES_SQL = f"""
SELECT {_NODE.columns("c")}, {_FRAMEWORK.columns("f")}, {_SCALE.columns("s")}
FROM {Program.frameworks.through._meta.db_table} pf
JOIN {Framework._meta.db_table} f ON f.id = pf.framework_id
JOIN {RatingScale._meta.db_table} s ON s.id = f.scale_id
JOIN {Competency._meta.db_table} c ON c.framework_id = f.id
WHERE pf.program_id = %s
ORDER BY f.code, c."order", c.id"""  # noqa: S608 — our names


def _rated_competencies(*, program: Program) -> Read[list[Competency]]:
    """`programs.selectors.program_competencies` as a list, read more cheaply: every node of
    the program's frameworks in one join-light statement; the leaves are the nodes nobody names
    as parent, and each leaf's domain is attached from the same rows (no self-join, no
    EXISTS)."""
    return Read(_NODES_SQL, [program.pk], _leaves_from)


def _leaves_from(rows: list[tuple[Any, ...]]) -> list[Competency]:
    nodes: list[Competency] = []
    frameworks: dict[int, Framework] = {}
    for row in rows:
        node_values, framework_values, scale_values = split_row(row, _NODE, _FRAMEWORK, _SCALE)
        framework = frameworks.get(framework_values[0])
        if framework is None:
            framework = frameworks[framework_values[0]] = _FRAMEWORK.build(framework_values)
            framework.scale = _SCALE.build(scale_values)
        node = _NODE.build(node_values)
        node.framework = framework
        nodes.append(node)
    by_id = {node.pk: node for node in nodes}
    parents = {node.parent_id for node in nodes if node.parent_id is not None}
    leaves = []
    for node in nodes:
        if node.pk in parents:
            continue
        if node.parent_id is not None:
            node.parent = by_id[node.parent_id]  # same framework, so always among the rows
        leaves.append(node)
    return leaves


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


# The two bulk reads are plain SQL: they return thousands of numbers, and the ORM's query
# building and per-value converters would cost more than the database work. The learners of
# the heatmap are those enrolled during the period (optionally in one cohort).
_ENROLLED = """e.program_id = %s AND e.start_date <= %s
      AND (e.end_date IS NULL OR e.end_date >= %s){cohort}"""

# One row per enrollment: the learner, the cohort, and the learner's review of the period.
_PEOPLE_SQL = f"""
SELECT e.learner_id, u.display_name, u.first_name, u.last_name, u.email, c.name,
       e.training_year, e.end_date, r.status, r.training_year
FROM {Enrollment._meta.db_table} e
JOIN {User._meta.db_table} u ON u.id = e.learner_id
LEFT JOIN {Cohort._meta.db_table} c ON c.id = e.cohort_id
LEFT JOIN {LearnerReview._meta.db_table} r ON r.learner_id = e.learner_id AND r.period_id = %s
WHERE {{enrolled}}
ORDER BY e.start_date, e.id"""  # noqa: S608 — table names are ours

# One row per learner × competency with assessor ratings in the period (their median and
# count, from the period rating summary, which `assessments.summaries.periods` keeps equal to
# the raw ratings), then one row per current consensus of the period (its level in the last
# column, cast by the database to the same float Python's float(Decimal) would give).
_CELLS_SQL = f"""
SELECT s.learner_id, s.competency_id, s.median, s.n, NULL
FROM {PeriodRatingSummary._meta.db_table} s
WHERE s.period_id = %s
  AND s.learner_id IN (SELECT e.learner_id FROM {Enrollment._meta.db_table} e WHERE {{enrolled}})
  {{summary_columns}}
UNION ALL
SELECT r.learner_id, cr.competency_id, NULL, NULL, CAST(cr.level AS DOUBLE PRECISION)
FROM {LearnerReview._meta.db_table} r
JOIN {ConsensusRating._meta.db_table} cr ON cr.review_id = r.id
WHERE r.period_id = %s AND cr.is_current
  AND r.learner_id IN (SELECT e.learner_id FROM {Enrollment._meta.db_table} e WHERE {{enrolled}})
  {{consensus_columns}}"""  # noqa: S608 — table names are ours


def heatmap_build(*, program: Program, filters: Filters, today: dt.date | None = None) -> Heatmap:
    """Build the heatmap in six queries, whatever the number of learners, in two round trips
    on PostgreSQL: what depends only on the program (periods, cohorts, competencies,
    expectations), then what depends on the period (learners with their reviews, cells).
    """
    today = today or timezone.localdate()
    periods, cohorts, all_competencies, program_overrides = read_together(
        # Query 1: the program's periods (filter choices; default period).
        Read(_PERIODS_SQL, [program.pk], _PERIOD.build_all),
        # Query 2: cohorts (filter choices).
        Read(_COHORTS_SQL, [program.pk], _COHORT.build_all),
        # Query 3: rated competencies with their domain.
        _rated_competencies(program=program),
        # Query 4: expectations that override the program default.
        expectation_overrides_read(program_ids=[program.pk]),
    )
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

    # Cells are compared with the level expected at the period's end, part-way through the
    # training year.
    overrides = program_overrides[program.pk]
    competency_ids = [c.pk for c in competencies]
    fraction = period_fraction(program, period)

    def expected_in(year: int) -> list[Decimal]:
        return [expected_level(program, overrides, cid, year, fraction) for cid in competency_ids]

    expected_by_year = {year: expected_in(year) for year in years}

    enrolled = _ENROLLED.format(cohort="" if filters.cohort_id is None else " AND e.cohort_id = %s")
    enrolled_params: list[Any] = [program.pk, period.end_date, period.start_date]
    if filters.cohort_id is not None:
        enrolled_params.append(filters.cohort_id)
    # Query 6: the cells — medians and counts of the period's assessor ratings per learner ×
    # competency (the period rating summary), and the current consensus ratings of the period.
    # With a domain filter the database leaves the other columns out; without one, every
    # competency of the period's cells is a column (the few others, rated under another
    # program's framework, are ignored below), and the statement keeps under psycopg's limit
    # of 50 parameters for statements it parses once.
    columns: list[int] = competency_ids if filters.domain_id is not None else []

    def in_columns(alias: str) -> str:
        return f"AND {alias}.competency_id IN ({placeholders(len(columns))})" if columns else ""

    cells_sql = _CELLS_SQL.format(
        enrolled=enrolled, summary_columns=in_columns("s"), consensus_columns=in_columns("cr")
    )
    people_rows, cell_rows = read_together(
        # Query 5: who was enrolled during the period, with the review of the period if
        # any (its status, and the training year it recorded).
        Read(_PEOPLE_SQL.format(enrolled=enrolled), [period.pk, *enrolled_params], list),
        Read(
            cells_sql,
            [period.pk, *enrolled_params, *columns, period.pk, *enrolled_params, *columns],
            list,
        ),
    )
    # A learner enrolled twice keeps the newest.
    people: dict[int, tuple[str, str, str, int, str]] = {}
    years_then: dict[tuple[int, dt.date | None], int] = {}  # most learners share a few
    for (
        learner_id,
        display_name,
        first,
        last,
        email,
        cohort,
        year,
        end_date,
        status,
        review_year,
    ) in people_rows:
        name = display_name or f"{first} {last}".strip() or email
        if status is None:  # no review yet: the training year during the period
            status = ""
            review_year = years_then.get((year, end_date))
            if review_year is None:
                review_year = years_then[(year, end_date)] = training_year_at(
                    program, year, end_date, period.start_date, today
                )
        people[learner_id] = (name, email, cohort or "", review_year, status)

    # Rows as they come: (learner, competency, median, n, None) or (learner, competency,
    # None, None, consensus level). Every learner here is one of `people` (same filter).
    # Each learner's cells by competency end up as (value, n, source letter).
    cells: dict[int, dict[int, tuple[float, int, str]]] = {learner_id: {} for learner_id in people}
    agreed: list[tuple[Any, ...]] = []
    for learner_id, competency_id, median, n, level in cell_rows:
        if level is None:
            cells[learner_id][competency_id] = (median, n, "r")
        else:
            agreed.append((learner_id, competency_id, level))
    for learner_id, competency_id, level in agreed:  # the committee's level wins
        rated = cells[learner_id].get(competency_id)
        cells[learner_id][competency_id] = (level, 0 if rated is None else rated[1], "c")

    holmboe_columns = (
        {i for i, c in enumerate(competencies) if c.framework.scale.kind == "milestone"}
        if program.stage == Program.Stage.GME and period.is_year_end
        else set()
    )
    # Per training year, each column's bands by value; columns expecting the same level
    # share one.
    band_maps: dict[float, _BandByValue] = {}

    def bands_by_column(levels: list[Decimal]) -> list[_BandByValue]:
        for level in {float(x) for x in levels} - band_maps.keys():
            band_maps[level] = _BandByValue(level)
        return [band_maps[float(x)] for x in levels]

    expected_floats = {
        year: [float(x) for x in levels] for year, levels in expected_by_year.items()
    }
    column_bands = {year: bands_by_column(levels) for year, levels in expected_by_year.items()}
    rows: list[Row] = []
    no_cell = (None, 0, "-")
    for learner_id, (name, email, cohort_name, year, status) in people.items():
        if filters.year is not None and year != filters.year:
            continue
        if year not in expected_by_year:  # beyond the program's length
            expected_by_year[year] = expected_in(year)
            expected_floats[year] = [float(x) for x in expected_by_year[year]]
            column_bands[year] = bands_by_column(expected_by_year[year])
        expected = expected_floats[year]
        # 6,600 cells in a large program: whole-row comprehensions, then a pass over the
        # few cells below expectation, cost far less than one branchy loop over every cell.
        found = cells[learner_id].get
        # One pass looks the cells up; zip turns them into columns in C.
        value_column, count_column, source_column = zip(
            *[found(cid, no_cell) for cid in competency_ids], strict=True
        )
        values: list[float | None] = list(value_column)
        counts: list[int] = list(count_column)
        sources = "".join(source_column)
        bands = [by_value[v] for by_value, v in zip(column_bands[year], values, strict=True)]
        flags: dict[int, list[str]] = {}
        thin: list[int] = []
        below = 0
        shortfall = 0.0
        for i in [i for i, band in enumerate(bands) if band in CONCERN_BANDS]:
            band = bands[i]
            value = values[i]
            assert value is not None
            shortfall -= value - expected[i]
            if band == "below":
                if too_thin_to_flag(sources[i], counts[i]):
                    thin.append(i)
                else:
                    below += 1
                    flags[i] = ["below-expected"]
        if year == 2 and holmboe_columns:
            for i in sorted(holmboe_columns):
                value = values[i]
                if value is None or value > HOLMBOE_THRESHOLD or i in thin:
                    continue
                if too_thin_to_flag(sources[i], counts[i]):
                    thin.append(i)
                else:
                    flags.setdefault(i, []).append("holmboe-pgy2")
            flags = dict(sorted(flags.items()))
            thin.sort()
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
                sources=sources,
                counts=counts,
                expected=expected_by_year[year],
                bands=bands,
                flags=flags,
                thin=thin,
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

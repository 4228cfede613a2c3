"""The monthly rating summary (`MonthlyRatingSummary`): per learner × who rated × competency ×
calendar month, the sum and count of the ratings and the month's latest one.

The learner's dashboard reads it instead of aggregating their whole history on every view. It
is kept exact rather than eventually right: every write that adds, changes or removes a
rating refreshes that learner's cells of the competencies it touches, in the same
transaction, by recomputing every month of them from the raw rows with the same SQL the full
rebuild uses —

- a check-in recorded (`assessments.services.checkins`): it only adds ratings, so on PostgreSQL
  each is folded into its month's cell by one upsert (`monthly_summaries_add`), the arithmetic
  of the raw rule, instead of recomputing every month; the check-in runs that upsert inside
  its own single statement (`monthly_summaries_add_statement`);
- a portfolio imported (`portfolio.transfer`);
- an assessment recorded or revised (`assessments.services.observations`), through
  `assessor_summaries_refresh`, which refreshes the committee's period rating summary too;
- ratings or check-ins deleted in the admin (`assessments.admin`).

A learner's rows go with the learner (cascade). `manage.py check_summaries` compares the whole
table with a recomputation from the raw rows (exit status 1 on any difference) and `--rebuild`
rewrites it; the benchmark and the demo seeding rebuild it after their bulk inserts, which
bypass the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection, transaction

from assessments.models import Assessment, MonthlyRatingSummary, SelfAssessment
from assessments.summaries.periods import period_summaries_refresh_learner
from assessments.summaries.programs import (
    NewAssessment,
    program_summaries_add,
    program_summaries_refresh_learner,
)
from core.db import execute, placeholders, summary_differences

TABLE = MonthlyRatingSummary._meta.db_table
RatedBy = MonthlyRatingSummary.RatedBy
# Per source: table, date column, level column. An assessor's rating counts by its counted
# level (its own level on the framework's scale, a mapped level, or none: left out).
_SOURCES = {
    RatedBy.SELF: (SelfAssessment._meta.db_table, "assessed_on", "level"),
    RatedBy.ASSESSOR: (Assessment._meta.db_table, "observed_on", "counted_level"),
}
_COLUMNS = "learner_id, rated_by, competency_id, month, total_tenths, n, last_tenths, last_on"

# The cells of one kind of rating, from the raw rows; {scope} narrows them (always ANDed). The
# month's latest rating is the dashboard's rule for "latest": by date, then entry time, then id.
# Levels in whole tenths: ROUND absorbs SQLite's floating-point sums (0.1 + 0.2).
_RAW = """
SELECT learner_id, {rated_by}, competency_id, month, CAST(ROUND(SUM(level) * 10) AS INTEGER),
       COUNT(*), CAST(ROUND(MAX(CASE WHEN rn = 1 THEN level END) * 10) AS INTEGER), MAX(day)
FROM (
    SELECT learner_id, competency_id, {month} AS month, {level} AS level, {day} AS day,
           ROW_NUMBER() OVER (PARTITION BY learner_id, competency_id, {month}
                              ORDER BY {day} DESC, created_at DESC, id DESC) AS rn
    FROM {table} WHERE {level} IS NOT NULL{scope}
) rated
GROUP BY learner_id, competency_id, month"""


@lru_cache(maxsize=1024)
def level_of_tenths(tenths: int) -> Decimal:
    """A level as the table stores it, in whole tenths, back as the exact decimal (20 → 2.0,
    75 → 7.5). Remembered: a few dozen values recur across every learner's months."""
    return Decimal(tenths).scaleb(-1)


def _month_sql(day: str) -> str:
    """The first day of `day`'s month, as a date (PostgreSQL) or ISO text (SQLite), which
    is how each stores a DateField. Every statement here is run with a parameter list, so a
    literal % is written %%."""
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {day}) AS date)"
    return f"strftime('%%Y-%%m-01', {day})"


def _raw_sql(rated_by: int, scope: str) -> str:
    table, day, level = _SOURCES[RatedBy(rated_by)]
    return _RAW.format(
        rated_by=int(rated_by),
        month=_month_sql(day),
        day=day,
        level=level,
        table=connection.ops.quote_name(table),
        scope=scope,
    )


def _refresh(*, rated_by: int, scope: str, params: list[Any]) -> int:
    """Replace the rows of `rated_by` in `scope` (columns learner_id and competency_id, the
    same on both sides) with the recomputed ones. Returns the number of rows written."""
    # Joins the writer's transaction (no savepoint: a failure here fails the whole write).
    with transaction.atomic(savepoint=False):
        execute(
            f"DELETE FROM {TABLE} WHERE rated_by = %s{scope}",  # noqa: S608 — placeholders only
            [int(rated_by), *params],
        )
        return execute(f"INSERT INTO {TABLE} ({_COLUMNS}) {_raw_sql(rated_by, scope)}", params)


def monthly_summaries_refresh(
    *, learner_id: int, rated_by: int, competency_ids: Iterable[int] | None = None
) -> int:
    """After ratings of a learner were recorded, changed or removed: every month of those
    competencies (all of the learner's competencies when `competency_ids` is None)."""
    if competency_ids is None:
        return _refresh(rated_by=rated_by, scope=" AND learner_id = %s", params=[learner_id])
    competencies = sorted(set(competency_ids))
    if not competencies:
        return 0
    return _refresh(
        rated_by=rated_by,
        scope=f" AND learner_id = %s AND competency_id IN ({placeholders(len(competencies))})",
        params=[learner_id, *competencies],
    )


@dataclass(frozen=True)
class NewRating:
    """A rating just inserted: which cell it lands in, and its level."""

    competency_id: int
    day: dt.date
    level: Decimal


def _tenths(level: Decimal) -> int:
    return int((level * 10).to_integral_value())


def monthly_summaries_add(*, learner_id: int, rated_by: int, ratings: Sequence[NewRating]) -> int:
    """After ratings were only added (a check-in never changes or removes any): fold each into
    its month's cell with one upsert, instead of recomputing every month of the competency.

    The arithmetic is the raw rule's: the sum and the count grow, and the new rating becomes
    the month's latest unless the cell already holds a later day. On the same day the new
    rating wins, as it does in the raw rule (it has the latest entry time). Each rating must be
    in a cell of its own (a check-in rates a competency once). Returns the rows written."""
    if not ratings:
        return 0
    if connection.vendor != "postgresql":
        # The cell's unique index carries INCLUDE columns, which only PostgreSQL builds; without
        # an index to conflict on, the embedded default recomputes the competencies instead.
        competency_ids = [r.competency_id for r in ratings]
        return monthly_summaries_refresh(
            learner_id=learner_id, rated_by=rated_by, competency_ids=competency_ids
        )
    return execute(
        *monthly_summaries_add_statement(learner_id=learner_id, rated_by=rated_by, ratings=ratings)
    )


def monthly_summaries_add_statement(
    *, learner_id: int, rated_by: int, ratings: Sequence[NewRating]
) -> tuple[str, list[Any]]:
    """`monthly_summaries_add`'s upsert (PostgreSQL) as a statement and its parameters, for a
    writer that runs it inside its own statement (a check-in: `WITH ... AS (upsert)`)."""
    if not ratings:
        raise ValueError("monthly_summaries_add_statement needs at least one rating")
    cells = {(r.competency_id, r.day.replace(day=1)) for r in ratings}
    if len(cells) != len(ratings):
        raise ValueError("monthly_summaries_add takes at most one new rating per cell")
    values = ", ".join(["(%s, %s, %s, %s, %s, 1, %s, %s)"] * len(ratings))
    params: list[Any] = []
    for rating in ratings:
        tenths = _tenths(rating.level)
        month = rating.day.replace(day=1)
        params += [learner_id, int(rated_by), rating.competency_id, month, tenths, tenths]
        params.append(rating.day)
    later = f"EXCLUDED.last_on >= {TABLE}.last_on"
    sql = (
        f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES {values} "  # noqa: S608 — placeholders only
        "ON CONFLICT (learner_id, rated_by, month, competency_id) DO UPDATE SET "
        f"total_tenths = {TABLE}.total_tenths + EXCLUDED.total_tenths, "
        f"n = {TABLE}.n + EXCLUDED.n, "
        f"last_tenths = CASE WHEN {later} THEN EXCLUDED.last_tenths ELSE {TABLE}.last_tenths END, "
        f"last_on = CASE WHEN {later} THEN EXCLUDED.last_on ELSE {TABLE}.last_on END"
    )
    return sql, params


def assessor_summaries_refresh(
    *,
    learner_id: int,
    competency_ids: Iterable[int],
    days: Iterable[dt.date],
    added: Sequence[NewAssessment] | None = None,
) -> None:
    """After assessments of a learner were recorded, changed or removed: every summary built
    from them — this one, the committee's period rating summary and the overview's program
    summaries (give old and new dates). `added`: the writer only inserted these rows, which
    the program summaries fold in by upsert instead of recomputing the months."""
    competencies = sorted(set(competency_ids))
    days = sorted(set(days))
    monthly_summaries_refresh(
        learner_id=learner_id, rated_by=RatedBy.ASSESSOR, competency_ids=competencies
    )
    period_summaries_refresh_learner(learner_id=learner_id, competency_ids=competencies, days=days)
    if added is not None:
        program_summaries_add(learner_id=learner_id, ratings=added)
    else:
        program_summaries_refresh_learner(learner_id=learner_id, days=days)


def monthly_summaries_rebuild() -> int:
    """Rewrite the whole table from the raw rows (set-based; after bulk loads)."""
    return sum(_refresh(rated_by=rated_by, scope="", params=[]) for rated_by in _SOURCES)


def monthly_summaries_differences(limit: int = 10) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Compare the table with a recomputation from the raw rows, cell by cell (see
    `summary_differences`)."""
    raw = " UNION ALL ".join(_raw_sql(rated_by, "") for rated_by in _SOURCES)
    return summary_differences(raw, f"SELECT {_COLUMNS} FROM {TABLE}", limit)  # noqa: S608

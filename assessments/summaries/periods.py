"""The period rating summary: per review period × learner × competency, the median and count of
the learner's assessor ratings observed in the period (`PeriodRatingSummary`), by their counted
level: ratings on a scale other than the framework's own stay out unless their form maps them
to milestone levels.

The cohort heatmap reads it instead of aggregating raw ratings on every view. It is kept exact
rather than eventually right: every write that can change a cell refreshes the cells it touches
in the same transaction, by recomputing them from the raw rows with the same SQL the full
rebuild uses —

- an assessment recorded or revised: that learner's cells of those competencies, in the periods
  containing the old and new dates (`assessments.services.observations`);
- an enrollment added, changed or removed: that learner's cells in that program's periods;
- a review period added or its dates changed: that period's cells.

The last two are writes of programs, a lower layer, which announces them with the signals of
`programs.signals`; the receivers below are connected in `AssessmentsConfig.ready`.

Rows exist for every period and every learner ever enrolled in the period's program, for
every competency they were rated on in it. `manage.py check_summaries` compares the whole
table with a recomputation from the raw rows (exit status 1 on any difference) and
`--rebuild` rewrites it; the benchmark and the demo seeding rebuild it after their bulk
inserts, which bypass the services.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction

from core.db import execute, median_sql, placeholders, summary_differences

TABLE = "assessments_periodratingsummary"

# Cells computed from the raw rows; {scope} narrows them (always ANDed).
_RAW = """
SELECT p.id, a.learner_id, a.competency_id, {median}, COUNT(*)
FROM programs_reviewperiod p
JOIN assessments_assessment a
  ON a.observed_on >= p.start_date AND a.observed_on <= p.end_date
WHERE a.counted_level IS NOT NULL
  AND EXISTS (SELECT 1 FROM programs_enrollment e
              WHERE e.program_id = p.program_id AND e.learner_id = a.learner_id){scope}
GROUP BY p.id, a.learner_id, a.competency_id"""


def _raw_sql(scope: str) -> str:
    return _RAW.format(median=median_sql("a.counted_level", connection.vendor), scope=scope)


def _refresh(*, delete_where: str, delete_params: list[Any], scope: str, params: list[Any]) -> int:
    """Replace the summary rows matching `delete_where` with the recomputed ones in `scope`
    (the same cells, seen from the raw side). Returns the number of rows written."""
    # Joins the writer's transaction (no savepoint: a failure here fails the whole write).
    with transaction.atomic(savepoint=False):
        execute(f"DELETE FROM {TABLE} WHERE {delete_where}", delete_params)  # noqa: S608
        return execute(
            f"INSERT INTO {TABLE} (period_id, learner_id, competency_id, median, n) "
            + _raw_sql(scope),
            params,
        )


def _periods_containing(days: Sequence[dt.date], alias: str) -> tuple[str, list[Any]]:
    condition = " OR ".join([f"({alias}.start_date <= %s AND {alias}.end_date >= %s)"] * len(days))
    params: list[Any] = []
    for day in days:
        params += [day, day]
    return condition, params


def period_summaries_refresh_learner(
    *, learner_id: int, competency_ids: Iterable[int], days: Iterable[dt.date]
) -> int:
    """After assessments of a learner were recorded or changed: the cells of those
    competencies in every period containing one of `days` (give old and new dates)."""
    competencies = sorted(set(competency_ids))
    dates = sorted(set(days))
    if not competencies or not dates:
        return 0
    condition, date_params = _periods_containing(dates, "p")
    ids = placeholders(len(competencies))
    return _refresh(
        delete_where=(
            f"learner_id = %s AND competency_id IN ({ids}) AND period_id IN "  # noqa: S608 — placeholders only
            f"(SELECT p.id FROM programs_reviewperiod p WHERE {condition})"
        ),
        delete_params=[learner_id, *competencies, *date_params],
        scope=f"\n  AND a.learner_id = %s AND a.competency_id IN ({ids}) AND ({condition})",
        params=[learner_id, *competencies, *date_params],
    )


def period_summaries_refresh_enrollments(*, learner_ids: Iterable[int], program_id: int) -> int:
    """After learners' enrollments in a program were added or removed."""
    learners = sorted(set(learner_ids))
    if not learners:
        return 0
    ids = placeholders(len(learners))
    return _refresh(
        delete_where=(
            f"learner_id IN ({ids}) AND period_id IN "  # noqa: S608 — placeholders only
            "(SELECT p.id FROM programs_reviewperiod p WHERE p.program_id = %s)"
        ),
        delete_params=[*learners, program_id],
        scope=f"\n  AND a.learner_id IN ({ids}) AND p.program_id = %s",
        params=[*learners, program_id],
    )


def period_summaries_refresh_period(*, period_id: int) -> int:
    """After a review period was added or its dates changed."""
    return _refresh(
        delete_where="period_id = %s",
        delete_params=[period_id],
        scope="\n  AND p.id = %s",
        params=[period_id],
    )


def period_summaries_rebuild() -> int:
    """Rewrite the whole table from the raw rows (set-based; after bulk loads)."""
    return _refresh(delete_where="1 = 1", delete_params=[], scope="", params=[])


def period_summaries_differences(limit: int = 10) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Compare the table with a recomputation from the raw rows, cell by cell (see
    `summary_differences`)."""
    stored = f"SELECT period_id, learner_id, competency_id, median, n FROM {TABLE}"  # noqa: S608
    return summary_differences(_raw_sql(""), stored, limit)


def on_enrollments_changed(
    sender: object, *, learner_ids: Iterable[int], program_id: int, **kwargs: object
) -> None:
    """Receiver of `programs.signals.enrollments_changed`."""
    period_summaries_refresh_enrollments(learner_ids=learner_ids, program_id=program_id)


def on_review_period_dates_changed(sender: object, *, period_id: int, **kwargs: object) -> None:
    """Receiver of `programs.signals.review_period_dates_changed`."""
    period_summaries_refresh_period(period_id=period_id)

"""The learners' evidence counts (`EvidenceCount`), kept equal to their items on every write.

A writer folds its change into the counts with one upsert of arithmetic (+1 for an item
added, -1 for one removed, both for an item whose kind changed): the row lock the upsert
takes orders concurrent writers, so none loses another's change, as a recount could.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.db import execute, summary_differences
from portfolio.models import Evidence, EvidenceCount

TABLE = EvidenceCount._meta.db_table
_RAW = (
    f"SELECT learner_id, kind, COUNT(*) FROM {Evidence._meta.db_table} "  # noqa: S608
    "GROUP BY learner_id, kind"
)


def evidence_counts_add(*, learner_id: int, by_kind: Mapping[str, int]) -> int:
    """Add `by_kind`'s numbers (negative for items removed) to the learner's counts; the rows
    written."""
    changes = [(kind, n) for kind, n in sorted(by_kind.items()) if n]
    if not changes:
        return 0
    params: list[Any] = []
    for kind, n in changes:
        params += [learner_id, kind, n]
    values = ", ".join(["(%s, %s, %s)"] * len(changes))
    return execute(
        f"INSERT INTO {TABLE} (learner_id, kind, n) VALUES {values} "  # noqa: S608 — placeholders
        f"ON CONFLICT (learner_id, kind) DO UPDATE SET n = {TABLE}.n + EXCLUDED.n",
        params,
    )


def evidence_counts_refresh(*, learner_id: int) -> int:
    """Recount the learner's items (after writes outside the services: test data, erasure)."""
    execute(f"DELETE FROM {TABLE} WHERE learner_id = %s", [learner_id])  # noqa: S608
    raw = f"SELECT * FROM ({_RAW}) r WHERE learner_id = %s"  # noqa: S608 — constants only
    return execute(f"INSERT INTO {TABLE} (learner_id, kind, n) {raw}", [learner_id])


def evidence_counts_rebuild() -> int:
    """Rewrite every count from the items (set-based; after bulk loads)."""
    execute(f"DELETE FROM {TABLE}", [])  # noqa: S608 — the table name is ours
    return execute(f"INSERT INTO {TABLE} (learner_id, kind, n) {_RAW}", [])


def evidence_counts_differences(limit: int = 10) -> tuple[int, int, list[tuple[Any, ...]]]:
    """Compare the counts with a recount of the items (`summary_differences`); a kept zero is
    the same as no row."""
    stored = f"SELECT learner_id, kind, n FROM {TABLE} WHERE n <> 0"  # noqa: S608
    return summary_differences(_RAW, stored, limit)

"""Bulk loading without per-row index and foreign-key upkeep.

An INSERT … SELECT of millions of rows into a table with its indexes in place updates every
index once per row, in random key order, and queues one deferred foreign-key check per row
and constraint (Django makes them DEFERRABLE INITIALLY DEFERRED), each an index lookup at
commit. Building an index once from the loaded table is a sort, and checking a foreign key
once is one anti-join: at 50,000 learners (13 million rows a table) that is the difference
between minutes and hours.

`deferred_indexes(tables)` takes the tables' secondary indexes, unique constraints and
foreign keys off, runs the load, and puts every one back from its own definition as
PostgreSQL reports it (`pg_get_indexdef`, `pg_get_constraintdef`), so the schema after the
load is the migrated one, constraints validated. Primary keys stay: their index grows in
key order, which is cheap. It runs inside the caller's transaction (DDL is transactional in
PostgreSQL), so a failed load leaves the schema as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

# Index builds sort in memory up to this; the server default (64 MB) spills 13 million keys to
# disk. Set for the loading transaction only.
MAINTENANCE_WORK_MEM = "512MB"


@contextmanager
def deferred_indexes(
    tables: Sequence[str], log: Callable[[str], object] = lambda message: None
) -> Iterator[None]:
    """Drop `tables`' secondary indexes, unique constraints and foreign keys; rebuild them
    after the body. PostgreSQL only (elsewhere the body runs with the indexes in place)."""
    if connection.vendor != "postgresql" or not tables:
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype,
                   pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
            ORDER BY c.contype, c.conrelid::regclass::text, c.conname
            """,
            [list(tables)],
        )
        constraints = cursor.fetchall()
        # Indexes that no constraint owns (a constraint's index goes and comes with it).
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                              WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
            ORDER BY 1
            """,
            [list(tables)],
        )
        indexes = cursor.fetchall()
        quote = connection.ops.quote_name
        _check_pending_now(cursor)
        # Foreign keys ('f') sort first: off before the unique constraints, back after them.
        for table, name, _, _ in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        _check_pending_now(cursor)
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, _, definition in reversed(constraints):
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
        # Statistics of the loaded rows, so the statements after the load plan for millions of
        # rows, not for the empty tables of before.
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")
        log(
            f"    rebuilt {len(indexes)} indexes and {len(constraints)} constraints of "
            f"{len(tables)} tables"
        )


def _check_pending_now(cursor: Any) -> None:
    """Run the foreign-key checks this transaction has queued so far (rows written before the
    load, such as the framework's competencies): PostgreSQL refuses to alter a table, or the
    table a dropped or added foreign key points at, while checks on it are pending. Later
    writes are deferred again, as Django's constraints are."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")

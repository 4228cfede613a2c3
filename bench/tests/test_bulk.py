"""The bulk load takes indexes and constraints off the big tables and must put every one
back as the migrations made it, and the summaries it rebuilds must equal the raw rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from bench.bulk import deferred_indexes
from bench.generate import BULK_TABLES, POST_LOAD_SUMMARIES, Scale, build

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TABLES = BULK_TABLES + [table for _, table, _ in POST_LOAD_SUMMARIES]


def _schema() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [TABLES],
        )
        rows = set(cursor.fetchall())
        cursor.execute(
            "SELECT 'constraint', conname, pg_get_constraintdef(oid) || ' '"
            " || condeferrable::text || condeferred::text || convalidated::text"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [TABLES],
        )
        return rows | set(cursor.fetchall())


def test_a_bulk_load_leaves_the_migrated_schema_and_summaries_equal_to_the_ratings():
    before = _schema()
    # What goes and comes back: foreign keys, unique constraints, plain and partial indexes.
    definitions = [definition for _, _, definition in before]
    assert any(d.startswith("FOREIGN KEY") for d in definitions)
    assert any(d.startswith("UNIQUE") for d in definitions)
    assert any(name == "uniq_assessment_submission" for _, name, _ in before)  # partial index
    build(Scale("micro", programs=2, learners=9, big_program=5, small_learners=3), dt.date.today())
    assert _schema() == before
    call_command("check_summaries")  # raises CommandError on any difference


def test_the_indexes_are_off_during_the_load_and_back_after():
    table = BULK_TABLES[0]

    def indexes() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", [table])
            return int(cursor.fetchone()[0])

    with_them = indexes()
    with deferred_indexes([table]):
        assert indexes() == 1  # the primary key's
    assert indexes() == with_them > 1

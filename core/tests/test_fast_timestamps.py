"""PostgreSQL timestamps parsed by psycopg's compiled loader (core.db._UtcTimestampLoader)
read exactly as Django's own loader reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import adapters
from psycopg.pq import Format

from core.db import _UtcTimestampLoader
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

EDGES = """SELECT '2026-03-08 02:30:00.123456+00'::timestamptz,
                  '2026-10-25 01:59:59.999999+03'::timestamptz,
                  '0001-01-01 00:00:00+00'::timestamptz,
                  '9999-12-31 23:59:59.999999+00'::timestamptz,
                  NULL::timestamptz"""


def _loader_class(cursor=None):
    where = cursor or connection.connection
    return where.adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)


def test_new_connections_parse_timestamps_with_the_compiled_loader():
    connection.ensure_connection()
    assert _loader_class() is _UtcTimestampLoader
    with connection.cursor() as cursor:  # Django keeps it: the time zones agree
        assert _loader_class(cursor.cursor) is _UtcTimestampLoader


def test_values_equal_djangos_loader_to_the_microsecond_in_utc():
    with connection.cursor() as cursor:
        cursor.execute(EDGES)
        ours = cursor.fetchone()
    with connection.cursor() as cursor:
        register_tzloader(dt.UTC, cursor.cursor)  # Django's own, on this cursor only
        assert _loader_class(cursor.cursor) is not _UtcTimestampLoader
        cursor.execute(EDGES)
        djangos = cursor.fetchone()
    assert ours == djangos
    assert ours[1] == dt.datetime(2026, 10, 24, 22, 59, 59, 999999, tzinfo=dt.UTC)
    assert all(value.tzinfo is dt.UTC for value in ours[:4]) and ours[4] is None


def test_model_fields_read_back_what_was_written():
    written = dt.datetime(2025, 7, 1, 12, 34, 56, 789012, tzinfo=dt.UTC)
    user = factories.UserFactory()
    type(user).objects.filter(pk=user.pk).update(date_joined=written)
    read = type(user).objects.values_list("date_joined", flat=True).get(pk=user.pk)
    assert read == written and read.tzinfo is dt.UTC


def test_a_session_outside_utc_keeps_djangos_loader():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
    try:
        assert _UtcTimestampLoader.install(connection) is False
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")

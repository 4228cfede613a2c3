"""`core.db.InSubquery`: the same rows as `__in` with a subquery, written for PostgreSQL as
`= ANY(ARRAY(...))` and elsewhere as a plain `IN`."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper

from accounts.models import User
from core.db import InSubquery
from programs.models import ProgramRole
from tests.factories import ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _staff_of(program):
    return InSubquery("id", ProgramRole.objects.filter(program=program).values("user_id"))


def test_it_finds_the_rows_in_finds(program, other_program):
    mine = [ProgramRoleFactory(program=program).user for _ in range(3)]
    ProgramRoleFactory(program=other_program)
    UserFactory()

    found = set(User.objects.filter(_staff_of(program)))

    assert found == set(mine)
    assert found == set(
        User.objects.filter(id__in=ProgramRole.objects.filter(program=program).values("user_id"))
    )


@pytest.mark.postgres
def test_postgresql_reads_the_ids_first(program):
    query = User.objects.filter(_staff_of(program)).query
    sql, _ = query.get_compiler(connection=connection).as_sql()
    assert "= ANY(ARRAY(SELECT" in sql


def test_sqlite_gets_a_plain_in(program):
    """On any default database: the laptop's `make test` runs on SQLite."""
    query = User.objects.filter(_staff_of(program)).query
    sqlite = SqliteWrapper({**connection.settings_dict, "NAME": ":memory:"}, alias="sqlite")
    sql, _ = query.get_compiler(connection=sqlite).as_sql()
    assert "ANY" not in sql
    assert " IN (SELECT" in sql

"""`read_together`: independent plain statements in one round trip (PostgreSQL's pipeline),
each building what it would build alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from core.db import CompiledQuery, Read, read_together
from programs.models import Enrollment
from programs.selectors import enrollments_read
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _numbers(rows):
    return [row[0] for row in rows]


def test_each_read_builds_what_it_builds_alone():
    learner = UserFactory()
    EnrollmentFactory(learner=learner)
    reads = [
        Read("SELECT 1 UNION ALL SELECT 2", [], _numbers),
        enrollments_read(learner=learner),
        Read("SELECT %s", [7], _numbers),
    ]
    together = read_together(*reads)
    alone = [read.run() for read in reads]
    assert together[0] == alone[0] == [1, 2]
    assert [e.pk for e in together[1]] == [e.pk for e in alone[1]]
    assert together[1][0].program.institution.name == alone[1][0].program.institution.name
    assert together[2] == [7]


def test_each_statement_still_counts_as_a_query():
    reads = [Read("SELECT 1", [], _numbers), Read("SELECT 2", [], _numbers)]
    with CaptureQueriesContext(connection) as queries:
        read_together(*reads)
    assert len(queries) == 2


@pytest.mark.postgres
def test_a_failing_statement_raises_a_database_error_on_postgresql():
    reads = [Read("SELECT 1", [], _numbers), Read("SELECT * FROM no_such_table", [], _numbers)]
    with pytest.raises(DatabaseError):
        read_together(*reads)


def test_compiled_queries_travel_together_with_plain_statements():
    enrollment = EnrollmentFactory()
    shape = CompiledQuery(
        lambda learner_id: Enrollment.objects.filter(learner_id=learner_id).values_list("pk")
    )
    found, numbers = read_together(
        shape.read(learner_id=enrollment.learner_id), Read("SELECT %s", [7], _numbers)
    )
    assert (found, numbers) == ([(enrollment.pk,)], [7])


def test_a_compiled_query_runs_the_selectors_statement_with_new_arguments():
    enrollments = [EnrollmentFactory(), EnrollmentFactory()]
    shape = CompiledQuery(
        lambda learner_id: Enrollment.objects.filter(learner_id=learner_id).values_list(
            "program_id", "start_date"
        )
    )
    for enrollment in enrollments:
        rows = shape.read(learner_id=enrollment.learner_id).run()
        # Converted as the ORM converts them (SQLite answers dates as text).
        assert rows == [(enrollment.program_id, enrollment.start_date)]


def test_a_compiled_query_refuses_an_argument_its_statement_does_not_use():
    shape = CompiledQuery(lambda learner_id: Enrollment.objects.values_list("pk"))
    with pytest.raises(ValueError, match="learner_id"):
        shape.read(learner_id=1)


def _started_by(learner_id, day):
    return Enrollment.objects.filter(learner_id=learner_id, start_date__lte=day).values_list("pk")


@pytest.mark.parametrize("as_text", [False, True])
def test_a_compiled_query_takes_a_date_argument_in_the_form_the_backend_passes(
    monkeypatch, as_text
):
    """SQLite's backend passes dates as ISO text: the stand-in is found in that form too, and
    each run's date goes in the same way (a completion page on the laptop default once failed
    with "the statement does not use ['today']"). `as_text` makes PostgreSQL's do the same."""
    enrollment = EnrollmentFactory(start_date=dt.date(2025, 7, 1))
    if as_text:
        monkeypatch.setattr(connection.ops, "adapt_datefield_value", lambda value: str(value))
    shape = CompiledQuery(_started_by, dates=("day",))
    learner = enrollment.learner_id
    assert shape.read(learner_id=learner, day=dt.date(2025, 7, 1)).run() == [(enrollment.pk,)]
    assert shape.read(learner_id=learner, day=dt.date(2025, 6, 30)).run() == []


def test_a_compiled_query_reads_any_page_of_its_ordered_statement():
    """One compiled statement, every page: each page holds what slicing the queryset gives,
    and a negative bound is refused before it reaches the database."""
    learner = UserFactory()
    for _ in range(5):
        EnrollmentFactory(learner=learner)

    def ordered(learner_id):
        return Enrollment.objects.filter(learner_id=learner_id).order_by("-pk").values_list("pk")

    shape = CompiledQuery(ordered)
    everything = list(ordered(learner.pk))
    for offset, limit in [(0, 2), (2, 2), (4, 2), (5, 2), (0, 10)]:
        page = shape.read_page(offset=offset, limit=limit, learner_id=learner.pk).run()
        assert page == everything[offset : offset + limit]
    for offset, limit in [(-1, 2), (0, -2)]:
        with pytest.raises(ValueError, match="no page"):
            shape.read_page(offset=offset, limit=limit, learner_id=learner.pk)

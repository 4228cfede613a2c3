"""`read_together`: independent plain statements in one round trip (PostgreSQL's pipeline),
each building what it would build alone."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from core.db import Read, read_of, read_together
from programs.models import Enrollment
from programs.selectors import enrollments_read, programs_reviewed_by
from tests.factories import EnrollmentFactory, ProgramRoleFactory, UserFactory

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


def test_a_queryset_read_builds_what_iterating_the_queryset_builds():
    director = UserFactory()
    enrollment = EnrollmentFactory()
    program = enrollment.program
    ProgramRoleFactory(program=program, user=director, role="director")
    programs = programs_reviewed_by(user=director)
    learners = Enrollment.objects.filter(program=program).values_list("learner_id", flat=True)
    found, learner_ids = read_together(read_of(programs), read_of(learners))
    expected = list(programs)
    assert [p.pk for p in found] == [p.pk for p in expected] == [program.pk]
    # select_related objects and annotations come back as the ORM builds them.
    assert found[0].institution.name == program.institution.name
    assert (found[0].viewer_can_review, found[0].viewer_can_sign_off) == (True, True)
    assert learner_ids == [enrollment.learner_id]


def test_a_queryset_read_runs_the_statement_the_orm_would():
    learner = UserFactory()
    queryset = Enrollment.objects.filter(learner=learner)
    read = read_of(queryset)
    with CaptureQueriesContext(connection) as queries:
        assert read.run() == []
    assert len(queries) == 1
    assert queries[0]["sql"].startswith(str(queryset.query)[:40])


def test_a_queryset_that_cannot_match_reads_nothing():
    assert read_of(Enrollment.objects.filter(pk__in=[])).run() == []

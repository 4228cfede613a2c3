"""The case log's pages and endpoints run the same number of queries at any size."""

from __future__ import annotations

import pytest

from caselog.tests.factories import CaseLogEntryFactory, ProcedureFactory

pytestmark = pytest.mark.django_db

SIZES = (2, 30)


def grow(program, learner, supervisor, size):
    procedures = [ProcedureFactory(program=program) for _ in range(size)]
    for procedure in procedures:
        CaseLogEntryFactory(learner=learner, procedure=procedure, supervisor=supervisor)
    return procedures


@pytest.mark.parametrize("size", SIZES)
def test_the_learners_log_runs_constant_queries(
    client, program, learner, assessor, size, django_assert_num_queries
):
    grow(program, learner, assessor, size)
    client.force_login(learner)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        # 1 session, 2 user, 3 count of entries, 4 totals per procedure, 5 navigation roles,
        # 6 a page of entries with procedure and supervisor.
        response = client.get("/case-log/")
    assert response.content.decode().count('<li class="card">') == min(size, 25)
    with django_assert_num_queries(3):
        # 1 session, 2 user, 3 a page of entries with procedure and supervisor.
        response = client.get("/api/v1/case-log/entries/")
    assert len(response.json()["results"]) == size
    with django_assert_num_queries(3):
        # 1 session, 2 user, 3 totals per procedure.
        response = client.get("/api/v1/case-log/totals/")
    assert len(response.json()) == size


@pytest.mark.parametrize("size", SIZES)
def test_the_supervisors_list_runs_constant_queries(
    client, program, learner, assessor, size, django_assert_num_queries
):
    grow(program, learner, assessor, size)
    client.force_login(assessor)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        # 1 session, 2 user, 3 count of waiting entries, 4 a page of them with procedure and
        # people, 5 their reads into the access log (one INSERT), 6 navigation roles.
        response = client.get("/case-log/verify/")
    assert response.content.decode().count(">Verify<") == min(size, 25)
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 a page of waiting entries with procedure and people, 4 their
        # reads into the access log.
        response = client.get("/api/v1/case-log/to-verify/")
    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("size", SIZES)
def test_the_procedure_list_runs_constant_queries(
    client, program, learner, assessor, director, size, django_assert_num_queries
):
    grow(program, learner, assessor, size)
    client.force_login(director)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        # 1 session, 2 user, 3 program with the viewer's rights, 4 navigation roles,
        # 5 the procedures.
        response = client.get(f"/programs/{program.pk}/procedures/")
    assert response.status_code == 200
    with django_assert_num_queries(5):
        # 1 session, 2 user, 3 program, 4 count of procedures, 5 a page of them.
        response = client.get(f"/api/v1/programs/{program.pk}/procedures/")
    assert response.json()["count"] == size

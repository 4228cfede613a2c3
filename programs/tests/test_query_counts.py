"""List pages and endpoints run a fixed number of queries, whatever the data size.

Each test runs at two sizes with the same expected count; the comment names every query.
"""

import pytest

from frameworks.models import Framework
from programs.tests.factories import ReviewPeriodFactory, enrol, program_with_framework
from tests.factories import (
    CohortFactory,
    FrameworkFactory,
    InstitutionFactory,
    ProgramFactory,
    ProgramRoleFactory,
)

pytestmark = pytest.mark.django_db

SIZES = [2, 7]


@pytest.fixture
def setup(program, director):
    program_with_framework(program, domains=2, per_domain=2)
    period = ReviewPeriodFactory(program=program)
    return program, period, director


def grow(program, size):
    """`size` learners and `size` cohorts: what these pages list. (Committee pages, which read
    ratings, reviews and consensus too, grow those in committee/tests/test_query_counts.py.)"""
    learners = enrol(program, size)
    for index in range(size):
        CohortFactory(program=program, name=f"Cohort {index}")
    return learners


@pytest.mark.parametrize("size", SIZES)
def test_program_list_api(client, director, size, django_assert_num_queries):
    for _ in range(size):
        ProgramRoleFactory(user=director, program=ProgramFactory(), role="director")
    client.force_login(director)
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 programs with the viewer's rights, 4 their frameworks.
        response = client.get("/api/v1/programs/")
    assert len(response.json()) == size + 1


@pytest.mark.parametrize("size", SIZES)
def test_enrollment_list_api_and_page(client, setup, size, django_assert_num_queries):
    program, _, director = setup
    grow(program, size)
    client.force_login(director)
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 program with rights, 4 a page of enrollments with learner and cohort.
        client.get(f"/api/v1/programs/{program.pk}/enrollments/")
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        # 1 session, 2 user, 3 program, 4 count, 5 a page of enrollments, 6 cohorts for the
        # form, 7 navigation roles.
        client.get(f"/programs/{program.pk}/enrollments/")


@pytest.mark.parametrize("size", SIZES)
def test_cohorts_periods_and_roles_pages(client, setup, size, django_assert_num_queries):
    program, period, director = setup
    grow(program, size)
    client.force_login(director)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        # 1 session, 2 user, 3 program, 4 cohorts, 5 navigation roles.
        client.get(f"/programs/{program.pk}/cohorts/")
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        # 1 session, 2 user, 3 program, 4 periods, 5 navigation roles.
        client.get(f"/programs/{program.pk}/periods/")
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        # 1 session, 2 user, 3 program, 4 the period, 5 navigation roles.
        client.get(f"/programs/{program.pk}/periods/{period.pk}/edit/")
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 program, 4 the period.
        client.get(f"/api/v1/programs/{program.pk}/periods/{period.pk}/")
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        # 1 session, 2 user, 3 program, 4 roles with people, 5 navigation roles.
        client.get(f"/programs/{program.pk}/roles/")


@pytest.mark.parametrize("size", SIZES)
def test_program_create_page(client, admin_user, size, django_assert_num_queries):
    for _ in range(size):
        InstitutionFactory()
        FrameworkFactory()
    client.force_login(admin_user)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        # 1 session, 2 user, 3 navigation roles, 4 institutions, 5 frameworks (the choices).
        response = client.get("/programs/new/")
    assert response.content.decode().count('name="frameworks"') == Framework.objects.count()


@pytest.mark.parametrize("size", SIZES)
def test_program_create_api(client, admin_user, size, django_assert_num_queries):
    frameworks = [FrameworkFactory().pk for _ in range(size)]
    for _ in range(size):
        InstitutionFactory()
    client.force_login(admin_user)
    body = {
        "institution": InstitutionFactory().pk,
        "name": "Neurology Residency",
        "stage": "gme",
        "duration_years": 4,
        "frameworks": frameworks,
    }
    with django_assert_num_queries(17):
        # 1 session, 2 user, 3 institution, 4 frameworks (one query), 5 savepoint, 6 name
        # taken?, 7 slugs taken, 8-9 full_clean (institution exists, slug unique), 10 insert,
        # 11 frameworks already linked, 12 link them, 13 the frameworks for the audit log,
        # 14 the audit event, 15 release savepoint, 16 the program with the viewer's rights,
        # 17 its frameworks.
        response = client.post("/api/v1/programs/", body, content_type="application/json")
    assert response.status_code == 201
    assert len(response.json()["frameworks"]) == size

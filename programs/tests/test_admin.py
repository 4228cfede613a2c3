from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import Expectation
from tests import factories

CHANGELISTS = ("institution", "program", "cohort", "enrollment", "programrole", "expectation")


@pytest.fixture
def admin_client_(client, admin_user, settings):
    settings.ENFORCE_STAFF_MFA = False
    client.force_login(admin_user)
    return client


def _make_rows(count: int) -> None:
    for n in range(count):
        program = factories.ProgramFactory()
        program.frameworks.add(factories.FrameworkFactory())
        cohort = factories.CohortFactory(program=program)
        factories.EnrollmentFactory(program=program, cohort=cohort)
        factories.EnrollmentFactory(
            program=program, cohort=cohort, end_date=dt.date(2025, 6, 30), training_year=3
        )
        factories.ProgramRoleFactory(program=program)
        Expectation.objects.create(
            program=program,
            competency=factories.CompetencyFactory(),
            training_year=1 + n % 3,
            level=Decimal("2.5"),
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", CHANGELISTS)
def test_admin_changelist_runs_as_many_queries_for_six_rows_as_for_two(admin_client_, model):
    url = f"/admin/programs/{model}/"
    _make_rows(2)
    small = _queries(admin_client_, url)

    _make_rows(4)

    assert _queries(admin_client_, url) == small


def test_enrollment_admin_filters_current_and_ended_enrollments(admin_client_):
    _make_rows(1)

    current = admin_client_.get("/admin/programs/enrollment/?status=current")
    ended = admin_client_.get("/admin/programs/enrollment/?status=ended")

    assert current.context["cl"].result_count == 1
    assert ended.context["cl"].result_count == 1
    assert ended.context["cl"].result_list[0].end_date is not None


def test_program_admin_lists_the_frameworks_a_program_uses(admin_client_):
    program = factories.ProgramFactory(name="Internal Medicine Residency")
    program.frameworks.add(factories.FrameworkFactory(code="im-milestones", version="2.0"))

    response = admin_client_.get("/admin/programs/program/?q=Internal")

    assert b"im-milestones 2.0" in response.content

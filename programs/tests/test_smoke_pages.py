import datetime as dt

import pytest

from programs.tests.factories import ReviewPeriodFactory, program_with_framework

pytestmark = pytest.mark.django_db


def test_director_pages_render(client, director, program, learner):
    program_with_framework(program)
    ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31)
    )
    client.force_login(director)
    for url in [
        "/programs/",
        f"/programs/{program.pk}/",
        f"/programs/{program.pk}/cohorts/",
        f"/programs/{program.pk}/enrollments/",
        f"/programs/{program.pk}/roles/",
        f"/programs/{program.pk}/expectations/",
        f"/programs/{program.pk}/roster/",
        f"/programs/{program.pk}/periods/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url

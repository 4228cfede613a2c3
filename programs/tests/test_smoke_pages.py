import datetime as dt

import pytest

from assessments.tests.factories import AssessmentFactory
from programs.tests.factories import ReviewPeriodFactory, program_with_framework

pytestmark = pytest.mark.django_db


def test_director_pages_render(client, director, program, learner):
    _, leaves = program_with_framework(program)
    period = ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31)
    )
    AssessmentFactory(learner=learner, competency=leaves[0], level=1)
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
        f"/programs/{program.pk}/heatmap/?period={period.pk}",
        f"/programs/{program.pk}/distributions/?period={period.pk}",
        f"/programs/{program.pk}/flags/?period={period.pk}",
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/",
        f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/print/",
        f"/programs/{program.pk}/periods/{period.pk}/consensus.csv",
        "/programs/overview/",
        "/programs/reviews/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url

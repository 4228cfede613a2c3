import datetime as dt

import pytest

from assessments.tests.factories import AssessmentFactory
from programs.tests.factories import ReviewPeriodFactory, program_with_framework

pytestmark = pytest.mark.django_db


def test_committee_pages_render(client, director, program, learner):
    _, leaves = program_with_framework(program)
    period = ReviewPeriodFactory(
        program=program, start_date=dt.date(2025, 7, 1), end_date=dt.date(2025, 12, 31)
    )
    AssessmentFactory(learner=learner, competency=leaves[0], level=1)
    client.force_login(director)
    for url in [
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

"""Correcting a review period: its name and year-end mark always, its dates until the
committee has recorded consensus in it; never into an overlap. (Consensus keeping the dates:
committee/tests/test_period_dates.py; the period's rating summary following new dates:
assessments/tests/test_period_summaries.py.)"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from programs import services
from programs.models import ReviewPeriod
from programs.tests.factories import ReviewPeriodFactory, program_with_framework

pytestmark = pytest.mark.django_db

AUTUMN = (dt.date(2025, 7, 1), dt.date(2025, 12, 31))


@pytest.fixture
def world(program, learner):
    _, leaves = program_with_framework(program, domains=1, per_domain=2)
    autumn = ReviewPeriodFactory(
        program=program, name="Autumn", start_date=AUTUMN[0], end_date=AUTUMN[1]
    )
    return program, leaves, autumn


def spring(program):
    return ReviewPeriodFactory(
        program=program,
        name="Spring",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
    )


def update(period, **changes):
    fields = {
        "name": period.name,
        "start_date": period.start_date,
        "end_date": period.end_date,
        "is_year_end": period.is_year_end,
    }
    return services.review_period_update(period=period, **{**fields, **changes})


def test_a_period_may_not_end_before_it_starts_or_overlap_another(world):
    program, _, autumn = world
    spring(program)
    with pytest.raises(ValidationError, match="ends before it starts"):
        update(autumn, end_date=dt.date(2025, 6, 1))
    with pytest.raises(ValidationError, match="Overlaps the period 'Spring'"):
        update(autumn, end_date=dt.date(2026, 2, 28))
    autumn.refresh_from_db()
    assert (autumn.start_date, autumn.end_date) == AUTUMN


def test_the_director_edits_a_period_from_its_page(client, world, director):
    program, _, autumn = world
    client.force_login(director)
    listing = client.get(f"/programs/{program.pk}/periods/").content.decode()
    url = f"/programs/{program.pk}/periods/{autumn.pk}/edit/"
    assert f'href="{url}"' in listing

    page = client.get(url).content.decode()
    assert 'value="Autumn"' in page and 'value="2025-07-01"' in page

    response = client.post(
        url, {"name": "Autumn 2025", "start_date": "2025-07-01", "end_date": "2025-12-31"}
    )
    assert response.status_code == 302 and response["Location"].endswith(
        f"/programs/{program.pk}/periods/"
    )
    assert ReviewPeriod.objects.get(pk=autumn.pk).name == "Autumn 2025"


def test_a_bad_edit_says_what_is_wrong_and_changes_nothing(client, world, director):
    program, _, autumn = world
    client.force_login(director)
    response = client.post(
        f"/programs/{program.pk}/periods/{autumn.pk}/edit/",
        {"name": "Renamed", "start_date": "2025-07-01", "end_date": "2025-01-01"},
    )
    assert response.status_code == 400
    assert "The period ends before it starts." in response.content.decode()
    assert ReviewPeriod.objects.get(pk=autumn.pk).name == "Autumn"


def test_a_period_of_another_program_is_not_found(client, world, director):
    program, _, _ = world
    elsewhere = ReviewPeriodFactory()
    client.force_login(director)
    response = client.get(f"/programs/{program.pk}/periods/{elsewhere.pk}/edit/")
    assert response.status_code == 404


def test_the_api_corrects_a_period_and_answers_bad_input_with_400(client, world, director):
    program, _, autumn = world
    spring(program)
    client.force_login(director)
    url = f"/api/v1/programs/{program.pk}/periods/{autumn.pk}/"

    response = client.patch(url, {"is_year_end": True}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "id": autumn.pk,
        "name": "Autumn",
        "start_date": "2025-07-01",
        "end_date": "2025-12-31",
        "is_year_end": True,
    }
    for body, says in (
        ({"end_date": "2026-03-31"}, "Overlaps the period 'Spring'."),
        ({"end_date": "2025-01-01"}, "The period ends before it starts."),
        ({"end_date": "31/12/2025"}, "Date has wrong format"),
    ):
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert says in response.content.decode()
    autumn.refresh_from_db()
    assert (autumn.start_date, autumn.end_date, autumn.is_year_end) == (*AUTUMN, True)

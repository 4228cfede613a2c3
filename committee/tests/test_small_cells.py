"""Aggregates shown to people who cannot see the individuals never rest on < 5 learners."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.tests.factories import AssessmentFactory
from committee.overview import MIN_CELL
from programs.tests.factories import enrol, program_with_framework

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(program, other_program):
    """`program`: 4 rated first-years (a small cell) and 6 rated second-years."""
    other_program.institution = program.institution
    other_program.save()
    _, leaves = program_with_framework(program)
    recent = timezone.localdate() - dt.timedelta(days=10)
    for year, count in ((1, 4), (2, 6)):
        for person in enrol(program, count, training_year=year):
            AssessmentFactory(learner=person, competency=leaves[0], level=2, observed_on=recent)
    return program


def rows_for(client, user, program):
    client.force_login(user)
    data = client.get("/api/v1/institution/overview/").json()
    return {r["training_year"]: r for r in data["rows"] if r["program_id"] == program.pk}


def test_director_of_another_program_sees_only_cells_of_five_or_more(client, rated, other_director):
    rows = rows_for(client, other_director, rated)

    assert rows[1]["suppressed"] is True
    assert rows[1]["median"] is None and rows[1]["ratings"] is None and rows[1]["learners"] is None
    assert rows[2]["suppressed"] is False and rows[2]["learners_rated"] == 6 >= MIN_CELL
    assert rows[2]["median"] == 2.0


def test_admin_who_reviews_no_one_gets_the_same_withholding(client, rated, admin_user):
    assert rows_for(client, admin_user, rated)[1]["suppressed"] is True


def test_the_programs_own_director_sees_every_cell(client, rated, director):
    rows = rows_for(client, director, rated)

    assert rows[1]["suppressed"] is False
    assert rows[1]["learners_rated"] == 4 and rows[1]["median"] == 2.0


def test_the_overview_page_says_fewer_than_five_instead_of_numbers(client, rated, other_director):
    client.force_login(other_director)

    page = client.get("/programs/overview/").content.decode()

    assert "fewer than 5 learners rated — withheld" in page


def test_learners_and_coaches_get_no_overview(client, rated, learner, coach):
    for person in (learner, coach):
        client.force_login(person)
        assert client.get("/api/v1/institution/overview/").status_code == 404


@pytest.mark.parametrize("extra", [0, 6])
def test_overview_runs_a_fixed_number_of_queries(
    client, rated, other_director, extra, django_assert_num_queries
):
    enrol(rated, extra, training_year=3)
    client.force_login(other_director)
    with django_assert_num_queries(7):
        # 1 session, 2 user, 3 the programs in view with their institutions (one statement
        # since the institutions are read with their programs), 4 programs the viewer
        # reviews (3–4 in one round trip on PostgreSQL), 5 enrolled learners, 6 the window's
        # histogram, 7 its busiest month (5–7 in one round trip).
        client.get("/api/v1/institution/overview/")

"""Every learning list page and endpoint runs a fixed number of queries at any data size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from learning import anticipatory
from learning.models import UpcomingVisit
from learning.tests.factories import (
    ICD10CM,
    CodePairFactory,
    LearningResourceFactory,
    UpcomingVisitFactory,
    im_framework,
)

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


def _catalogue(size):
    framework = im_framework(
        code=f"fw-{size}-{LearningResourceFactory._meta.model.objects.count()}"
    )
    competency = framework.competencies.first()
    for n in range(size):
        LearningResourceFactory(
            competencies=[competency], codes=["icd10cm:I10", f"snomed:{10000000 + n}"]
        )


def _visits(learner, size):
    for n in range(size):
        UpcomingVisitFactory(
            learner=learner,
            visit_date=TOMORROW + dt.timedelta(days=n % 5),
            reasons=[
                {
                    "system": "http://hl7.org/fhir/sid/icd-10-cm",
                    "code": "I10",
                    "display": "Hypertension",
                }
            ],
        )
    CodePairFactory(snomed_code="38341003", icd10_code="I10")


@pytest.mark.parametrize("size", [3, 30])
def test_the_catalogue_page(signed_in, size, django_assert_num_queries):
    _catalogue(size)
    # 1 session, 2 user, 3 count, 4 page of resources, 5 their competencies, 6 those
    # competencies' frameworks, 7 their codes, 8 my feedback, 9 navigation roles.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(10):
        response = signed_in.get("/learning/")
    assert response.content.decode().count('<li class="card">') == min(size, 25)


@pytest.mark.parametrize("size", [2, 20])
def test_the_visits_page_and_api(signed_in, learner, size, django_assert_num_queries):
    _visits(learner, size)
    # 1 session, 2 user, 3 my practitioner id, 4 count, 5 the page of visits, 6 navigation.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        page = signed_in.get("/learning/visits/")
    assert page.content.decode().count(">Remove<") == size
    # 1 session, 2 user, 3 count, 4 the page of visits.
    with django_assert_num_queries(4):
        api = signed_in.get("/api/v1/learning/visits/")
    assert api.json()["count"] == size


@pytest.mark.parametrize("size", [2, 20])
def test_the_upcoming_page_and_api(signed_in, learner, size, django_assert_num_queries):
    _catalogue(size)
    _visits(learner, size)
    # 1 session, 2 user; matching: 3 visits, 4 enrollment, 5 feedback, 6 code pairs,
    # 7 resource codes with their resources, 8 competencies, 9 their frameworks and 10 codes
    # of the resources shown; 11 navigation roles.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(12):
        page = signed_in.get("/learning/upcoming/")
    assert "Before your clinic on" in page.content.decode()
    # The same, less the navigation.
    with django_assert_num_queries(10):
        api = signed_in.get("/api/v1/learning/upcoming/")
    assert len(api.json()) == min(size, 5)


def _many_visits(learner, size):
    """`size` visits over five days, written in one statement (10,000 factory calls are slow)."""
    UpcomingVisit.objects.bulk_create(
        UpcomingVisitFactory.build(
            learner=learner,
            resource_id=f"bulk-{n}",
            visit_date=TOMORROW + dt.timedelta(days=n % 5),
            reasons=[{"system": ICD10CM, "code": "I10", "display": "Hypertension"}],
        )
        for n in range(size)
    )
    CodePairFactory(snomed_code="38341003", icd10_code="I10")


@pytest.mark.parametrize("size", [10, 10_000])
def test_the_visit_lists_are_bounded_at_ten_and_ten_thousand_visits(
    signed_in, learner, size, django_assert_num_queries
):
    _catalogue(3)
    _many_visits(learner, size)
    # 1 session, 2 user, 3 my practitioner id, 4 count, 5 the page of visits, 6 navigation.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        page = signed_in.get("/learning/visits/").content.decode()
    assert page.count(">Remove<") == min(size, 50)
    assert f"On your list ({size})" in page
    # 1 session, 2 user; matching: 3 visits, 4 enrollment, 5 feedback, 6 code pairs,
    # 7 resource codes with their resources, 8 competencies, 9 their frameworks and 10 codes
    # of the resources shown; 11 navigation roles.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(12):
        upcoming = signed_in.get("/learning/upcoming/").content.decode()
    # Each day says how many visits it has, though only the first of them are matched.
    assert f"{size // 5} visit" in upcoming


def test_only_the_first_visits_of_a_crowded_day_are_matched(learner, monkeypatch):
    monkeypatch.setattr(anticipatory, "MAX_VISITS_PER_DAY", 3)
    _catalogue(2)
    _many_visits(learner, 20)  # four a day
    days = anticipatory.anticipatory_learning(learner=learner, days=6)
    assert [day.visit_count for day in days] == [4, 4, 4, 4, 4]
    for day in days:
        for item in day.items:
            assert len(item.visits) <= 3

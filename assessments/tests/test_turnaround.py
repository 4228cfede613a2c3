"""An assessor's own completion and turnaround: what reached them, what they did with it, and
how long completing took, over the last 90 days and the last year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentForm, AssessmentRequest
from assessments.selectors.turnaround import turnaround_of
from assessments.services.forms import shipped_forms_ensure
from portfolio.tests.factories import framework_with_tree
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_request(program):
    framework, _ = framework_with_tree()
    program.frameworks.add(framework)
    form = shipped_forms_ensure()[AssessmentForm.Rates.MILESTONES]

    def make(assessor, *, days_ago, status="open", took_days=None, due_in=None):
        created = timezone.now() - dt.timedelta(days=days_ago)
        closed = created + dt.timedelta(days=took_days) if took_days is not None else None
        return AssessmentRequest.objects.create(
            learner=UserFactory(),
            assessor=assessor,
            program=program,
            framework=framework,
            form=form,
            status=status,
            decline_reason="Away" if status == "declined" else "",
            created_at=created,
            closed_at=closed,
            due_on=(timezone.localdate(created) + dt.timedelta(days=due_in))
            if due_in is not None
            else None,
        )

    return make


def test_counts_and_median_per_window(make_request):
    assessor = UserFactory()
    make_request(assessor, days_ago=10, status="completed", took_days=2)
    make_request(assessor, days_ago=20, status="completed", took_days=4)
    make_request(assessor, days_ago=30, status="completed", took_days=20, due_in=7)  # late
    make_request(assessor, days_ago=40, status="declined", took_days=1)
    make_request(assessor, days_ago=50)  # open, past the default 14 days: expired
    make_request(assessor, days_ago=3)  # open, not yet due
    make_request(assessor, days_ago=200, status="completed", took_days=9)  # year only
    make_request(assessor, days_ago=400, status="completed", took_days=1)  # neither
    make_request(UserFactory(), days_ago=5, status="completed", took_days=1)  # someone else's
    quarter, year = turnaround_of(assessor=assessor)
    assert (quarter.days, year.days) == (90, 365)
    assert (quarter.received, quarter.completed, quarter.declined) == (6, 3, 1)
    assert (quarter.expired, quarter.waiting, quarter.completed_on_time) == (1, 1, 2)
    assert quarter.median_days == 4.0
    assert (quarter.fastest_days, quarter.slowest_days) == (2.0, 20.0)
    assert quarter.completion_rate == 60  # 3 of 3 + 1 + 1
    assert (year.received, year.completed, year.median_days) == (7, 4, 6.5)


def test_an_assessor_without_requests_sees_zeros(client):
    person = UserFactory()
    client.force_login(person)
    page = client.get(reverse("assessor-turnaround")).content.decode()
    assert "My completion and turnaround" in page
    quarter, _ = turnaround_of(assessor=person)
    assert quarter.received == 0 and quarter.median_days is None
    assert quarter.completion_rate is None


@pytest.mark.parametrize("count", [1, 30])
def test_the_page_and_the_api_take_the_same_queries_at_any_size(
    client, make_request, django_assert_num_queries, count
):
    assessor = UserFactory()
    for i in range(count):
        make_request(assessor, days_ago=i + 1, status="completed", took_days=1)
    client.force_login(assessor)
    # 1 session, 2 user, 3 the year's requests (four columns), 4 navigation roles,
    # 5 the header's unread count
    with django_assert_num_queries(5):
        page = client.get(reverse("assessor-turnaround")).content.decode()
    assert "data-turnaround" in page
    # 1 session, 2 user, 3 the year's requests
    with django_assert_num_queries(3):
        body = client.get("/api/v1/observation-requests/turnaround/").json()
    assert [w["days"] for w in body] == [90, 365]
    assert body[0]["received"] == count and body[0]["median_days"] == 1.0

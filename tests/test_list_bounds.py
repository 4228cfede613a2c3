"""Every large list — a page and its API — runs the same queries at 10 rows as at 10,000.

Rows are written with bulk_create (10,000 factory calls would be slow). Each list pins its
query count at both sizes, and the page shows at most one page of rows. The lists are the
ones that grow without bound in real use: a learner's evidence, check-ins, notifications and
access log, the learning catalogue, and a program's learners (visits: learning's
test_query_counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from assessments.models import CheckIn
from learning.models import LearningResource
from notifications.models import Kind, Notification
from portfolio.models import AccessLog, Evidence, Scope, ShareGrant
from programs.models import Enrollment

pytestmark = pytest.mark.django_db

SIZES = [10, 10_000]


def _evidence(learner, program, size):
    Evidence.objects.bulk_create(
        Evidence(
            learner=learner,
            kind=Evidence.Kind.REFLECTION,
            title=f"Reflection {n}",
            occurred_on=dt.date(2025, 1, 1) + dt.timedelta(days=n % 300),
        )
        for n in range(size)
    )


def _checkins(learner, program, size):
    CheckIn.objects.bulk_create(CheckIn(learner=learner) for _ in range(size))


def _notifications(learner, program, size):
    Notification.objects.bulk_create(
        Notification(recipient=learner, kind=Kind.COMMENT, title=f"Reply {n}") for n in range(size)
    )


def _access_log(learner, program, size):
    viewer = User.objects.create(email="coach.viewer@example.org", display_name="Coach")
    AccessLog.objects.bulk_create(
        AccessLog(
            learner=learner,
            viewer=viewer,
            viewer_name="Coach",
            scope=Scope.choices[0][0],
            item_type="evidence",
            item_label=f"Item {n}",
            action=AccessLog.Action.LIST,
        )
        for n in range(size)
    )


def _catalogue(learner, program, size):
    LearningResource.objects.bulk_create(
        LearningResource(
            key=f"resource-{n}",
            title=f"Resource {n}",
            kind=LearningResource.Kind.ARTICLE,
            duration_minutes=10,
            stages=[],
        )
        for n in range(size)
    )


def _learners(learner, program, size):
    users = User.objects.bulk_create(
        User(email=f"resident{n}@example.org", display_name=f"Resident {n}", password="!")
        for n in range(size)
    )
    Enrollment.objects.bulk_create(
        Enrollment(learner=user, program=program, training_year=1, start_date=dt.date(2025, 7, 1))
        for user in users
    )


@dataclass(frozen=True)
class Listing:
    seed: Callable[..., None]
    page: str
    api: str
    page_queries: int
    api_queries: int
    as_director: bool = False
    api_page: int = 50  # rows in one API page
    others: int = 0  # rows the fixtures add (the learner's own enrollment)


# Every page: 1 session, 2 user, the navigation's roles and, last, the header's unread count;
# every API: 1 session, 2 user.
LISTS = {
    # Page: 3 share grants (who sees what), 4 count, 5 the page, 6 its competencies (with their
    # frameworks), 7 roles.
    # API: 3 one page by cursor, 4 its competencies, 5 share grants.
    "evidence": Listing(_evidence, "/evidence/", "/api/v1/evidence/", 8, 5),
    # Page: 3 count, 4 share grants, 5 roles, 6 frameworks to check in on, 7 the page, 8 its
    # items. API: 3 one page by cursor, 4 its items.
    "check-ins": Listing(
        _checkins, "/assessments/check-ins/", "/api/v1/check-ins/", 9, 4, api_page=20
    ),
    # Page: 3 count, 4 roles, 5 the page. API: 3 one page by cursor.
    "notifications": Listing(
        _notifications, "/coaching/inbox/", "/api/v1/coaching/notifications/", 6, 3
    ),
    # Page: 3 count, 4 roles, 5 the page. API: 3 one page by cursor.
    "access log": Listing(_access_log, "/access-log/", "/api/v1/access-log/", 6, 3, api_page=100),
    # Page: 3 count, 4 my feedback, 5 the page, 6 its competencies, 7 its codes, 8 roles.
    # API: 3 count, 4 the page, 5 its competencies, 6 its codes.
    "catalogue": Listing(_catalogue, "/learning/", "/api/v1/learning/resources/", 9, 6),
    # Page: 3 the program (managed by me), 4 count, 5 roles, 6 the page with learners,
    # 7 cohorts for the form. API: 3 the program, 4 one page by cursor.
    "program learners": Listing(
        _learners,
        "/programs/{program}/enrollments/",
        "/api/v1/programs/{program}/enrollments/",
        8,
        4,
        as_director=True,
        api_page=100,
        others=1,
    ),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_runs_the_same_queries_at_ten_and_ten_thousand_rows(
    client, learner, director, program, name, size
):
    listing = LISTS[name]
    listing.seed(learner, program, size)
    client.force_login(director if listing.as_director else learner)
    page_url = listing.page.format(program=program.pk)
    api_url = listing.api.format(program=program.pk)
    with CaptureQueriesContext(connection) as page_queries:
        page = client.get(page_url)
    with CaptureQueriesContext(connection) as api_queries:
        api = client.get(api_url)
    assert page.status_code == 200 and api.status_code == 200
    assert len(api.json()["results"]) == min(size + listing.others, listing.api_page)
    assert (len(page_queries), len(api_queries)) == (listing.page_queries, listing.api_queries)


@pytest.mark.parametrize("size", [10, 1_000])
def test_the_people_sharing_with_me_are_listed_fifty_a_page(client, director, size):
    learners = User.objects.bulk_create(
        User(email=f"sharer{n}@example.org", display_name=f"Sharer {n:04d}", password="!")
        for n in range(size)
    )
    ShareGrant.objects.bulk_create(
        ShareGrant(learner=learner, grantee=director, share_evidence=True) for learner in learners
    )
    client.force_login(director)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/shared/").content.decode()
    # 1 session, 2 user, 3 grants with their learners, 4 navigation's roles, 5 the header's
    # unread count.
    assert len(queries) == 5
    assert page.count('<li class="card">') == min(size, 50)
    assert "Sharer 0000" in page

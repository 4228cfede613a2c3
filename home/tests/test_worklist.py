"""The home page's worklist: what waits for this person, by role, most urgent first."""

from __future__ import annotations

import datetime as dt

import pytest

from assessments.tests.factories import AssessmentRequestFactory
from coaching.tests.factories import NotificationFactory, RelationshipFactory
from home.worklist import worklist_for
from programs.selectors import roles_of

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 26)


def test_a_learner_with_nothing_waiting_has_an_empty_worklist(learner):
    assert worklist_for(user=learner, roles=roles_of(user=learner), today=TODAY) == []


def test_unread_notifications_are_counted_and_read_ones_are_not(learner):
    NotificationFactory.create_batch(2, recipient=learner)
    NotificationFactory(recipient=learner, read_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))

    [item] = worklist_for(user=learner, roles=set(), today=TODAY)

    assert item.detail == "2 unread notifications"
    assert item.url == "/coaching/inbox/"


def test_an_assessor_sees_waiting_requests_and_overdue_ones_come_first(assessor, program):
    AssessmentRequestFactory(
        assessor=assessor, program=program, due_on=TODAY - dt.timedelta(days=2)
    )
    AssessmentRequestFactory(
        assessor=assessor, program=program, due_on=TODAY + dt.timedelta(days=3)
    )
    AssessmentRequestFactory(
        assessor=assessor, program=program, status="declined", decline_reason="Away"
    )
    NotificationFactory(recipient=assessor)

    items = worklist_for(user=assessor, roles=roles_of(user=assessor), today=TODAY)

    assert [i.title for i in items] == ["Observations", "Inbox"]
    assert items[0].detail == "2 observation requests waiting, 1 overdue"
    assert items[0].urgent


def test_a_coach_is_pointed_at_their_coachees(coach, learner):
    RelationshipFactory(coach=coach, learner=learner)

    [item] = worklist_for(user=coach, roles=roles_of(user=coach), today=TODAY)

    assert item.detail.startswith("1 coachee,")
    assert item.url == "/coaching/overview/"


def test_a_director_gets_their_programs_heatmap_and_not_another_programs(
    director, program, other_program
):
    items = worklist_for(user=director, roles=roles_of(user=director), today=TODAY)

    assert [i.url for i in items if i.title == program.name] == [f"/programs/{program.pk}/heatmap/"]
    assert other_program.name not in [i.title for i in items]


@pytest.mark.parametrize("size", [1, 20])
def test_the_worklist_runs_a_fixed_number_of_queries(
    assessor, coach, program, size, django_assert_num_queries
):
    for _ in range(size):
        AssessmentRequestFactory(assessor=assessor, program=program, due_on=TODAY)
        NotificationFactory(recipient=assessor)
    # 1 unread notifications, 2 open/overdue request counts (faculty role)
    with django_assert_num_queries(2):
        worklist_for(user=assessor, roles={"faculty"}, today=TODAY)

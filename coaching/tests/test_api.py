"""The coaching API: every coaching action of the pages, with JSON errors and no half-writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coaching import services
from coaching.models import BODY_MAX, ActionItem, CoachingRelationship, Comment, Meeting, Thread
from notifications.models import Notification, NotificationPreference
from portfolio.models import Goal
from portfolio.tests.factories import GoalFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/coaching"


@pytest.fixture
def api():
    return APIClient()


def as_(api, user):
    api.force_authenticate(user)
    return api


# --- Relationships --------------------------------------------------------------------------


def test_a_learner_invites_a_coach_who_accepts(api, learner, coach):
    response = as_(api, learner).post(
        f"{API}/relationships/invite/",
        {"coach_email": coach.email, "share_scopes": ["goals"], "message": "Please"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["awaiting"] == "coach"
    assert body["share_scopes"] == ["goals"]

    accepted = as_(api, coach).post(f"{API}/relationships/{body['id']}/accept/", format="json")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "active"


def test_inviting_an_unknown_address_is_a_400_with_the_field(api, learner):
    response = as_(api, learner).post(
        f"{API}/relationships/invite/", {"coach_email": "ghost@example.org"}, format="json"
    )
    assert response.status_code == 400
    assert "coach_email" in response.json()
    assert "detail" in response.json()
    assert not CoachingRelationship.objects.exists()


def test_an_unknown_scope_is_a_400(api, learner, coach):
    response = as_(api, learner).post(
        f"{API}/relationships/invite/",
        {"coach_email": coach.email, "share_scopes": ["secrets"]},
        format="json",
    )
    assert response.status_code == 400
    assert not CoachingRelationship.objects.exists()


def test_a_director_assigns_and_the_learner_accepts_with_a_share(
    api, learner, coach, director, program
):
    response = as_(api, director).post(
        f"{API}/relationships/assign/",
        {"program": program.pk, "learner": learner.pk, "coach": coach.pk},
        format="json",
    )
    assert response.status_code == 201
    rel_id = response.json()["id"]
    assert as_(api, coach).post(f"{API}/relationships/{rel_id}/accept/").status_code == 403
    accepted = as_(api, learner).post(
        f"{API}/relationships/{rel_id}/accept/", {"share_scopes": ["checkins"]}, format="json"
    )
    assert accepted.status_code == 200
    assert accepted.json()["share_scopes"] == ["checkins"]


def test_another_programs_director_cannot_assign(api, learner, coach, other_director, program):
    response = as_(api, other_director).post(
        f"{API}/relationships/assign/",
        {"program": program.pk, "learner": learner.pk, "coach": coach.pk},
        format="json",
    )
    assert response.status_code == 404
    assert not CoachingRelationship.objects.exists()


def test_assigning_a_learner_of_another_program_is_a_400(
    api, other_learner, coach, director, program
):
    response = as_(api, director).post(
        f"{API}/relationships/assign/",
        {"program": program.pk, "learner": other_learner.pk, "coach": coach.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "learner" in response.json()


def test_ending_twice_is_a_400_the_second_time(api, coaching, learner):
    url = f"{API}/relationships/{coaching.public_id}/end/"
    assert as_(api, learner).post(url).status_code == 200
    second = as_(api, learner).post(url)
    assert second.status_code == 400
    assert second.json()["status"]


def test_a_stranger_cannot_see_a_relationship(api, coaching, other_learner):
    response = as_(api, other_learner).get(f"{API}/relationships/{coaching.public_id}/")
    assert response.status_code == 404
    assert as_(api, other_learner).get(f"{API}/relationships/").json()["results"] == []


# --- Overview -------------------------------------------------------------------------------


def test_the_overview_lists_coachees_with_reasons_and_shared_scopes(api, coaching, learner, coach):
    GoalFactory(learner=learner, title="Late", target_date=dt.date(2020, 1, 1))
    [row] = as_(api, coach).get(f"{API}/overview/").json()
    assert row["learner"]["id"] == learner.pk
    assert row["shared_scopes"] == ["checkins", "evidence", "goals"]
    assert row["overdue_goals"][0]["title"] == "Late"
    assert "1 goal overdue" in row["reasons"]


# --- Threads --------------------------------------------------------------------------------


def comment_on(api, user, goal, body="Good plan."):
    return as_(api, user).post(
        f"{API}/comments/",
        {"target_type": "goal", "target_id": goal.pk, "body": body},
        format="json",
    )


def test_commenting_on_an_unshared_goal_is_a_404_and_writes_nothing(api, learner, coach):
    goal = GoalFactory(learner=learner)
    assert comment_on(api, coach, goal).status_code == 404
    assert not Thread.objects.exists()


def test_comment_reply_edit_delete_and_history(api, coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    created = comment_on(api, coach, goal, "First **draft**")
    assert created.status_code == 201
    assert created.json()["body_html"] == "<p>First <strong>draft</strong></p>"
    [thread] = as_(api, learner).get(f"{API}/threads/").json()
    assert thread["comment_count"] == 1 and thread["target_label"] == goal.title

    reply = as_(api, learner).post(
        f"{API}/threads/{thread['id']}/comments/", {"body": "Thanks"}, format="json"
    )
    assert reply.status_code == 201

    comment_id = created.json()["id"]
    edited = as_(api, coach).patch(
        f"{API}/comments/{comment_id}/", {"body": "Second draft"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["edited_at"]
    revisions = as_(api, learner).get(f"{API}/comments/{comment_id}/revisions/").json()
    assert [r["body"] for r in revisions] == ["First **draft**"]
    assert as_(api, learner).delete(f"{API}/comments/{comment_id}/").status_code == 403

    deleted = as_(api, coach).delete(f"{API}/comments/{comment_id}/")
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True and deleted.json()["body"] == ""
    detail = as_(api, learner).get(f"{API}/threads/{thread['id']}/").json()
    assert [c["deleted"] for c in detail["comments"]] == [True, False]


def test_an_over_long_comment_is_a_400_and_writes_nothing(api, coaching, learner, coach):
    goal = GoalFactory(learner=learner)
    response = comment_on(api, coach, goal, "x" * (BODY_MAX + 1))
    assert response.status_code == 400
    assert "body" in response.json()
    assert not Comment.objects.exists() and not Thread.objects.exists()


def test_a_learner_cannot_start_a_thread_through_the_comment_endpoint(api, learner):
    goal = GoalFactory(learner=learner)
    response = comment_on(api, learner, goal)
    assert response.status_code == 400
    assert not Comment.objects.exists()


# --- Meetings -------------------------------------------------------------------------------


def test_a_coach_schedules_and_the_learner_never_sees_private_notes(api, coaching, learner, coach):
    when = (timezone.now() + dt.timedelta(days=2)).isoformat()
    created = as_(api, coach).post(
        f"{API}/meetings/",
        {"relationship": str(coaching.public_id), "starts_at": when, "location": "Room 2"},
        format="json",
    )
    assert created.status_code == 201
    meeting_id = created.json()["id"]
    assert created.json()["agenda"].startswith("Since ")

    patched = as_(api, coach).patch(
        f"{API}/meetings/{meeting_id}/",
        {"shared_notes": "Practise handover", "private_notes": "Seemed tired"},
        format="json",
    )
    assert patched.json()["private_notes"] == "Seemed tired"
    seen = as_(api, learner).get(f"{API}/meetings/{meeting_id}/").json()
    assert seen["shared_notes"] == "Practise handover"
    assert seen["private_notes"] is None and seen["private_notes_html"] is None
    listed = as_(api, learner).get(f"{API}/meetings/").json()["results"]
    assert listed[0]["private_notes"] is None
    refused = as_(api, learner).patch(
        f"{API}/meetings/{meeting_id}/", {"shared_notes": "mine"}, format="json"
    )
    assert refused.status_code == 403


def test_a_meeting_with_someone_who_is_not_your_coachee_is_a_400(api, coaching, director):
    response = as_(api, director).post(
        f"{API}/meetings/",
        {"relationship": str(coaching.public_id), "starts_at": timezone.now().isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert "relationship" in response.json()
    assert not Meeting.objects.exists()


def test_an_action_item_on_another_learners_goal_is_a_400(api, coaching, coach, other_learner):
    meeting = services.meeting_schedule(
        coach=coach, relationship=coaching, starts_at=timezone.now()
    )
    foreign = GoalFactory(learner=other_learner)
    response = as_(api, coach).post(
        f"{API}/meetings/{meeting.public_id}/action-items/",
        {"title": "Steal a goal", "goal": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "goal" in response.json()
    assert not ActionItem.objects.exists()


def test_an_action_item_becomes_a_goal_when_the_learner_confirms(api, coaching, coach, learner):
    meeting = services.meeting_schedule(
        coach=coach, relationship=coaching, starts_at=timezone.now()
    )
    created = as_(api, coach).post(
        f"{API}/meetings/{meeting.public_id}/action-items/",
        {"title": "Teach a student", "target_date": "2099-01-01"},
        format="json",
    )
    item_id = created.json()["id"]
    assert as_(api, coach).post(f"{API}/action-items/{item_id}/confirm/").status_code == 403
    pending = as_(api, learner).get(f"{API}/action-items/?status=proposed").json()["results"]
    assert [i["id"] for i in pending] == [item_id]
    confirmed = as_(api, learner).post(f"{API}/action-items/{item_id}/confirm/")
    assert confirmed.status_code == 200
    goal = Goal.objects.get(pk=confirmed.json()["resulting_goal"])
    assert goal.title == "Teach a student" and goal.learner == learner


def test_an_unknown_action_item_status_filter_is_a_400(api, learner):
    assert as_(api, learner).get(f"{API}/action-items/?status=maybe").status_code == 400


# --- Notifications --------------------------------------------------------------------------


def test_the_inbox_lists_marks_read_and_filters_unread(api, learner):
    for n in range(3):
        services.notification_send(recipient=learner, kind="comment", title=f"N{n}")
    page = as_(api, learner).get(f"{API}/notifications/").json()
    assert [n["title"] for n in page["results"]] == ["N2", "N1", "N0"]
    first = page["results"][0]["id"]
    assert as_(api, learner).post(f"{API}/notifications/{first}/read/").json()["read"] is True
    unread = as_(api, learner).get(f"{API}/notifications/?unread=true").json()["results"]
    assert [n["title"] for n in unread] == ["N1", "N0"]
    assert as_(api, learner).post(f"{API}/notifications/read-all/").json() == {"marked": 2}


def test_someone_elses_notification_is_a_404(api, learner, other_learner):
    notification = services.notification_send(recipient=learner, kind="comment", title="Mine")
    url = f"{API}/notifications/{notification.public_id}/read/"
    assert as_(api, other_learner).post(url).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_preferences_are_read_and_written_all_or_nothing(api, learner):
    prefs = as_(api, learner).get(f"{API}/notification-preferences/").json()
    assert {p["frequency"] for p in prefs} == {"immediately"}
    ok = as_(api, learner).put(
        f"{API}/notification-preferences/",
        {"preferences": [{"kind": "comment", "frequency": "daily"}]},
        format="json",
    )
    assert ok.status_code == 200
    assert {p["kind"]: p["frequency"] for p in ok.json()}["comment"] == "daily"

    bad = as_(api, learner).put(
        f"{API}/notification-preferences/",
        {
            "preferences": [
                {"kind": "meeting", "frequency": "off"},
                {"kind": "coach_digest", "frequency": "daily"},
            ]
        },
        format="json",
    )
    assert bad.status_code == 400
    assert dict(NotificationPreference.objects.values_list("kind", "frequency")) == {
        "comment": "daily"
    }


def test_anonymous_callers_get_401(api):
    assert api.get(f"{API}/notifications/").status_code == 401


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 60])
def test_the_inbox_api_and_page_take_constant_queries(
    api, client, learner, size, django_assert_num_queries
):
    Notification.objects.bulk_create(
        Notification(recipient=learner, kind="comment", title=f"N{n}", email_status="sent")
        for n in range(size)
    )
    as_(api, learner)
    # 1 the page of notifications (cursor: one more than the page to know if there is a next)
    with django_assert_num_queries(1):
        api.get(f"{API}/notifications/")
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 count for the pager, 5 the page
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        response = client.get("/coaching/inbox/")
    assert response.content.decode().count('class="inbox-item') == min(size, 30)


@pytest.mark.parametrize("size", [2, 40])
def test_a_thread_takes_constant_queries_whatever_its_length(
    api, client, coaching, learner, coach, size, django_assert_num_queries
):
    goal = GoalFactory(learner=learner)
    from coaching.selectors import target_visible_to

    target = target_visible_to(viewer=coach, target_type="goal", pk=goal.pk)
    for n in range(size):
        services.comment_post(author=coach, target=target, body=f"Comment {n}")
    thread = Thread.objects.get()
    as_(api, coach)
    # 1 thread, 2 the goal's learner id, 3 the learner, 4 grants for the coach, 5 the goal,
    # 6 its competencies, 7 its evidence, 8 its progress notes, 9 comments with authors and
    # edit counts, 10 access-log INSERT
    with django_assert_num_queries(10):
        response = api.get(f"{API}/threads/{thread.public_id}/")
    assert len(response.json()["comments"]) == size
    client.force_login(coach)
    # 1 session, 2 user, 3 the goal's learner id, 4 the learner, 5 grants for the coach,
    # 6 the goal, 7 its competencies, 8 its evidence, 9 its progress notes, 10 threads on the
    # goal, 11 comments with authors and edit counts, 12 access-log INSERT, 13 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(14):
        page = client.get(f"/coaching/goals/{goal.pk}/thread/")
    assert page.content.decode().count('<li class="comment') == size


@pytest.mark.parametrize("size", [2, 30])
def test_the_thread_list_takes_constant_queries(
    api, client, coaching, learner, coach, size, django_assert_num_queries
):
    from coaching.selectors import target_visible_to

    for _ in range(size):
        goal = GoalFactory(learner=learner)
        target = target_visible_to(viewer=coach, target_type="goal", pk=goal.pk)
        services.comment_post(author=coach, target=target, body="Hi")
    as_(api, coach)
    # 1 threads with their targets and comment counts, 2 grants applying to the coach
    with django_assert_num_queries(2):
        response = api.get(f"{API}/threads/")
    assert len(response.json()) == size
    client.force_login(coach)
    # 1 session, 2 user, 3 threads, 4 grants, 5 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        client.get("/coaching/threads/")


@pytest.mark.parametrize("size", [1, 20])
def test_the_overview_api_takes_constant_queries(
    api, coach, program, size, django_assert_num_queries
):
    from coaching.tests.factories import RelationshipFactory
    from portfolio.tests.factories import ShareGrantFactory
    from tests.factories import UserFactory

    for _ in range(size):
        person = UserFactory()
        RelationshipFactory(learner=person, coach=coach)
        ShareGrantFactory(learner=person, grantee=coach, share_goals=True, share_checkins=False)
        GoalFactory(learner=person, target_date=dt.date(2020, 1, 1))
    as_(api, coach)
    # 1 relationships, 2 grants, 3 goals due or overdue, 4 meetings, 5 threads waiting,
    # 6 access-log INSERT (no check-ins shared: no check-in, self-assessment or level queries)
    with django_assert_num_queries(6):
        response = api.get(f"{API}/overview/")
    assert len(response.json()) == size

"""Each create form of the coaching pages creates once per rendered page (core.once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from coaching import services
from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting
from portfolio.tests.factories import GoalFactory
from tests.factories import UserFactory
from tests.once import assert_created_once

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


def test_a_comment_sent_twice_from_one_page_is_one_comment(client, coaching, coach, learner):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    url = reverse("coaching-goal-thread", args=[goal.pk])
    data = {"body": "Nice plan."}
    assert_created_once(client, url, data, Comment.objects.count, "comment")


def test_a_reply_sent_twice_from_one_page_is_one_reply(client, coaching, coach, learner):
    goal = GoalFactory(learner=learner)
    client.force_login(coach)
    client.post(reverse("coaching-goal-thread", args=[goal.pk]), {"body": "Nice plan."})
    thread = Comment.objects.get().thread
    client.force_login(learner)
    url = reverse("coaching-thread-reply", args=[thread.public_id])
    data = {f"{thread.public_id}-body": "Thanks!"}
    page = reverse("coaching-goal-thread", args=[goal.pk])
    assert_created_once(client, url, data, Comment.objects.count, "reply", page=page)


def test_a_meeting_scheduled_twice_from_one_page_is_one_meeting(client, coaching, coach):
    client.force_login(coach)
    url = reverse("coaching-meeting-create", args=[coaching.public_id])
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"starts_at": when, "duration_minutes": "45", "location": "Room 4"}
    assert_created_once(client, url, data, Meeting.objects.count, "meeting")


def test_an_action_item_sent_twice_from_one_page_is_one_item(client, coaching, coach):
    meeting = services.meeting_schedule(
        coach=coach, relationship=coaching, starts_at=timezone.now() + dt.timedelta(days=1)
    )
    client.force_login(coach)
    url = reverse("coaching-action-item-create", args=[meeting.public_id])
    data = {"title": "Present at journal club", "detail": "", "target_date": "", "goal": ""}
    page = reverse("coaching-meeting", args=[meeting.public_id])
    assert_created_once(client, url, data, ActionItem.objects.count, "action item", page=page)


def test_an_invitation_to_a_coach_sent_twice_is_one_invitation(client, learner):
    coach = UserFactory(email="new.coach@example.org")
    client.force_login(learner)
    data = {"coach_email": coach.email, "share_scopes": ["goals"], "message": ""}
    assert_created_once(
        client,
        reverse("coaching-invite"),
        data,
        CoachingRelationship.objects.count,
        "invitation",
        fresh_creates=False,  # one open invitation to one coach
    )

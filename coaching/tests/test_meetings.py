"""Meetings: scheduling with a drafted agenda, two-part notes, action items the learner confirms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from coaching import services
from coaching.models import NOTES_MAX, ActionItem, Meeting
from coaching.tests.html_safety import XSS_PAYLOADS, unsafe_parts
from notifications.models import Notification
from portfolio.models import Goal
from portfolio.tests.factories import (
    CheckInFactory,
    GoalFactory,
    ReflectionFactory,
    SelfAssessmentFactory,
    framework_with_tree,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


def tomorrow() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=1)


@pytest.fixture
def meeting(coaching, coach):
    return services.meeting_schedule(coach=coach, relationship=coaching, starts_at=tomorrow())


def test_the_agenda_is_drafted_from_shared_activity_since_the_last_meeting(
    coaching, learner, coach, program
):
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    learner.enrollments.update(training_year=3)
    GoalFactory(learner=learner, title="Overdue handover goal", target_date=dt.date(2020, 1, 1))
    ReflectionFactory(learner=learner, title="Private reflection title")
    checkin = CheckInFactory(learner=learner)
    SelfAssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=Decimal("1.5"),
        checkin=checkin,
        assessed_on=timezone.localdate(),
    )

    meeting = services.meeting_schedule(coach=coach, relationship=coaching, starts_at=tomorrow())

    assert "Overdue handover goal" in meeting.agenda
    assert "1 check-in since we last met" in meeting.agenda
    assert "D1.1 Sub-competency 1.1 — self 1.5, expected 4" in meeting.agenda
    assert "Private reflection title" not in meeting.agenda
    assert "<strong>Overdue goals</strong>" in meeting.agenda_html
    notification = Notification.objects.get(recipient=learner, kind="meeting")
    assert notification.url == reverse("coaching-meeting", args=[meeting.public_id])


def test_the_next_agenda_starts_from_the_previous_meeting(meeting, coaching, coach, learner):
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(days=1))
    GoalFactory(learner=learner, title="Fresh goal", target_date=dt.date(2030, 1, 1))
    later = services.meeting_schedule(
        coach=coach, relationship=coaching, starts_at=tomorrow() + dt.timedelta(days=7)
    )
    since = timezone.localdate(timezone.now() - dt.timedelta(days=1))
    assert later.agenda.startswith(f"Since {since:%d %b %Y}:")
    assert "Fresh goal" in later.agenda


def test_a_meeting_needs_an_active_coachee(client, coach, other_learner, learner):
    from coaching.tests.factories import RelationshipFactory

    pending = RelationshipFactory(learner=learner, coach=coach, status="pending")
    with pytest.raises(ValidationError):
        services.meeting_schedule(coach=coach, relationship=pending, starts_at=tomorrow())
    client.force_login(coach)
    url = reverse("coaching-meeting-create", args=[pending.public_id])
    assert client.post(url, {"starts_at": "2030-01-01T10:00"}).status_code == 404
    assert not Meeting.objects.exists()


def test_someone_elses_coachee_is_not_yours_to_meet(coaching, director):
    with pytest.raises(ValidationError):
        services.meeting_schedule(coach=director, relationship=coaching, starts_at=tomorrow())


def test_a_time_far_in_the_past_is_refused(coaching, coach):
    with pytest.raises(ValidationError) as error:
        services.meeting_schedule(
            coach=coach, relationship=coaching, starts_at=timezone.now() - dt.timedelta(days=90)
        )
    assert "starts_at" in error.value.message_dict


def test_the_learner_reads_shared_notes_but_never_private_ones(client, meeting, coach, learner):
    services.meeting_notes_update(
        meeting=meeting,
        by=coach,
        agenda=meeting.agenda,
        shared_notes="We agreed to practise handovers.",
        private_notes="Seems tired; ask next time.",
    )
    client.force_login(learner)
    page = client.get(reverse("coaching-meeting", args=[meeting.public_id])).content.decode()
    assert "practise handovers" in page
    assert "Seems tired" not in page
    client.force_login(coach)
    page = client.get(reverse("coaching-meeting", args=[meeting.public_id])).content.decode()
    assert "Seems tired" in page


def test_only_the_coach_writes_notes(client, meeting, learner):
    client.force_login(learner)
    response = client.post(
        reverse("coaching-meeting-notes", args=[meeting.public_id]),
        {"agenda": "", "shared_notes": "mine now", "private_notes": ""},
    )
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.shared_notes == ""


def test_over_long_notes_are_refused_whole(meeting, coach):
    with pytest.raises(ValidationError):
        services.meeting_notes_update(
            meeting=meeting,
            by=coach,
            agenda="kept",
            shared_notes="x" * (NOTES_MAX + 1),
            private_notes="",
        )
    meeting.refresh_from_db()
    assert meeting.shared_notes == "" and meeting.agenda != "kept"


def test_xss_in_agenda_and_notes_is_rendered_harmless(client, meeting, coach, learner):
    payload = "\n\n".join(XSS_PAYLOADS)
    services.meeting_notes_update(
        meeting=meeting, by=coach, agenda=payload, shared_notes=payload, private_notes=payload
    )
    for viewer, blocks in ((coach, 3), (learner, 2)):
        client.force_login(viewer)
        page = client.get(reverse("coaching-meeting", args=[meeting.public_id])).content.decode()
        found, problems = unsafe_parts(page)
        assert found == blocks
        assert problems == []


def test_an_action_item_becomes_a_goal_once_the_learner_confirms(meeting, coach, learner):
    item = services.action_item_propose(
        meeting=meeting,
        by=coach,
        title="Lead two family meetings",
        detail="Observed by a senior",
        target_date=timezone.localdate() + dt.timedelta(days=20),
    )
    assert not Goal.objects.filter(title="Lead two family meetings").exists()

    services.action_item_confirm(item=item, by=learner)
    services.action_item_confirm(item=item, by=learner)  # a double click

    goal = Goal.objects.get(title="Lead two family meetings")
    assert goal.learner == learner and goal.status == Goal.Status.ACTIVE
    assert goal.measure == "Observed by a senior"
    assert goal.target_date == item.target_date
    item.refresh_from_db()
    assert item.status == ActionItem.Status.CONFIRMED and item.resulting_goal == goal
    assert Notification.objects.filter(recipient=coach, title__contains="confirmed").count() == 1


def test_an_action_item_on_an_existing_goal_updates_it(meeting, coach, learner):
    goal = GoalFactory(learner=learner, plan="Read the guideline.", status="planned")
    new_date = timezone.localdate() + dt.timedelta(days=45)
    item = services.action_item_propose(
        meeting=meeting,
        by=coach,
        title="Add a simulation session",
        target_date=new_date,
        goal_id=goal.pk,
    )
    services.action_item_confirm(item=item, by=learner)
    goal.refresh_from_db()
    assert goal.target_date == new_date
    assert goal.plan.startswith("Read the guideline.")
    assert "Add a simulation session" in goal.plan
    assert goal.status == Goal.Status.ACTIVE
    assert Goal.objects.filter(learner=learner).count() == 1


def test_an_action_item_on_another_learners_goal_is_refused(meeting, coach, other_learner):
    foreign = GoalFactory(learner=other_learner)
    with pytest.raises(ValidationError) as error:
        services.action_item_propose(meeting=meeting, by=coach, title="x", goal_id=foreign.pk)
    assert "goal" in error.value.message_dict
    assert not ActionItem.objects.exists()


def test_only_the_learner_confirms_and_only_the_coach_proposes(meeting, coach, learner):
    with pytest.raises(PermissionDenied):
        services.action_item_propose(meeting=meeting, by=learner, title="Self-assigned")
    item = services.action_item_propose(meeting=meeting, by=coach, title="Do it")
    with pytest.raises(PermissionDenied):
        services.action_item_confirm(item=item, by=coach)
    assert not Goal.objects.exists()


def test_a_declined_item_changes_nothing_and_cannot_be_confirmed_later(meeting, coach, learner):
    item = services.action_item_propose(meeting=meeting, by=coach, title="Maybe")
    services.action_item_decline(item=item, by=learner)
    with pytest.raises(ValidationError):
        services.action_item_confirm(item=item, by=learner)
    assert not Goal.objects.exists()


def test_the_learner_confirms_on_the_meeting_page(client, meeting, coach, learner):
    client.force_login(coach)
    client.post(
        reverse("coaching-action-item-create", args=[meeting.public_id]),
        {"title": "Present at journal club", "detail": "", "target_date": "", "goal": ""},
    )
    item = ActionItem.objects.get()
    client.force_login(learner)
    page = client.get(reverse("coaching-meeting", args=[meeting.public_id])).content.decode()
    assert "Add to my plan" in page
    client.post(reverse("coaching-action-item-confirm", args=[item.public_id]))
    assert Goal.objects.get(learner=learner).title == "Present at journal club"


def test_a_stranger_gets_404_for_a_meeting_and_its_items(client, meeting, coach, other_learner):
    item = services.action_item_propose(meeting=meeting, by=coach, title="x")
    client.force_login(other_learner)
    assert client.get(reverse("coaching-meeting", args=[meeting.public_id])).status_code == 404
    url = reverse("coaching-action-item-confirm", args=[item.public_id])
    assert client.post(url).status_code == 404


def test_either_side_cancels_and_the_other_is_told(meeting, learner, coach):
    services.meeting_cancel(meeting=meeting, by=learner)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED
    assert Notification.objects.filter(recipient=coach, title__contains="cancelled").exists()


def test_scheduling_through_the_page(client, coaching, coach):
    client.force_login(coach)
    when = timezone.localtime(tomorrow()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("coaching-meeting-create", args=[coaching.public_id]),
        {"starts_at": when, "duration_minutes": "45", "location": "Room 4"},
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("coaching-meeting", args=[meeting.public_id])
    assert meeting.duration_minutes == 45 and meeting.location == "Room 4"

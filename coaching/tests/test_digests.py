"""The weekly coach digest and the learners' reminders, each safe to run twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from coaching import digests, services
from coaching.models import Meeting, Thread
from coaching.selectors import target_visible_to
from coaching.tasks import coach_digests_send, reminders_send
from notifications.models import Digest, Frequency, Kind, Notification
from portfolio.tests.factories import CheckInFactory, GoalFactory
from programs.models import ReviewPeriod
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def this_week() -> dt.date:
    return digests.week_start(timezone.localdate())


def converse(learner, coach, goal_title="Run the morning huddle"):
    goal = GoalFactory(learner=learner, title=goal_title)
    as_coach = target_visible_to(viewer=coach, target_type="goal", pk=goal.pk)
    services.comment_post(author=coach, target=as_coach, body="Try a two-minute round.")
    thread = Thread.objects.get(goal=goal)
    as_learner = target_visible_to(viewer=learner, target_type="goal", pk=goal.pk)
    services.comment_post(
        author=learner, target=as_learner, body="Did it today; it worked.", thread=thread
    )
    return goal


def test_the_coach_digest_holds_the_weeks_comments_and_replies(coaching, learner, coach):
    converse(learner, coach)
    mail.outbox.clear()

    assert digests.coach_digest_send(coach=coach, period_start=this_week()) is True

    [email] = mail.outbox
    assert email.to == [coach.email]
    assert "Run the morning huddle" in email.body
    assert "Try a two-minute round." in email.body
    assert "Did it today; it worked." in email.body
    assert learner.name in email.body


def test_the_digest_task_run_twice_sends_one_email(coaching, learner, coach):
    converse(learner, coach)
    mail.outbox.clear()
    week = this_week().isoformat()
    coach_digests_send.delay(week)
    coach_digests_send.delay(week)
    assert len(mail.outbox) == 1
    assert Digest.objects.get().status == Digest.Status.SENT


def test_the_digest_never_mentions_what_is_no_longer_shared(coaching, learner, coach):
    converse(learner, coach, goal_title="Private after all")
    from portfolio.services import share_grant_revoke

    share_grant_revoke(grant=coaching.share_grant)
    mail.outbox.clear()
    digests.coach_digest_send(coach=coach, period_start=this_week())
    assert all("Private after all" not in m.body for m in mail.outbox)


def test_a_coach_who_turned_the_digest_off_gets_none(coaching, learner, coach):
    converse(learner, coach)
    services.notification_preference_set(user=coach, kind=Kind.COACH_DIGEST, frequency="off")
    mail.outbox.clear()
    assert digests.coach_digest_send(coach=coach, period_start=this_week()) is False
    assert mail.outbox == [] and not Digest.objects.exists()


def test_a_quiet_week_sends_nothing_and_is_not_retried(coach, learner):
    from coaching.tests.factories import RelationshipFactory

    quiet = RelationshipFactory(learner=learner, coach=coach)  # shares nothing, meeting ahead
    Meeting.objects.create(
        relationship=quiet,
        learner=learner,
        coach=coach,
        starts_at=timezone.now() + dt.timedelta(days=3),
    )
    mail.outbox.clear()
    assert digests.coach_digest_send(coach=coach, period_start=this_week()) is False
    assert Digest.objects.get().status == Digest.Status.EMPTY
    assert digests.coach_digest_send(coach=coach, period_start=this_week()) is False
    assert mail.outbox == []


def test_the_weekly_run_defaults_to_the_week_that_just_ended(coaching, learner, coach):
    converse(learner, coach)
    coach_digests_send.delay()
    digest = Digest.objects.get(kind="coach_weekly")
    assert digest.period_start == this_week() - dt.timedelta(days=7)


# --- Reminders ------------------------------------------------------------------------------


def test_a_meeting_tomorrow_reminds_both_people_once(coaching, learner, coach):
    now = timezone.now()
    tomorrow_noon = timezone.make_aware(
        dt.datetime.combine(timezone.localdate(now) + dt.timedelta(days=1), dt.time(12, 0))
    )
    Meeting.objects.create(
        relationship=coaching, learner=learner, coach=coach, starts_at=tomorrow_noon
    )
    reminders_send.delay()
    reminders_send.delay()
    reminders = Notification.objects.filter(kind=Kind.REMINDER_MEETING)
    assert sorted(n.recipient_id for n in reminders) == sorted([learner.pk, coach.pk])
    assert "Tomorrow at 12:00" in reminders.get(recipient=learner).title


def test_overdue_goals_are_reminded_once_a_week(learner):
    GoalFactory(learner=learner, title="Late one", target_date=dt.date(2020, 1, 1))
    GoalFactory(learner=learner, title="Fine one", target_date=dt.date(2099, 1, 1))
    today = timezone.localdate()
    digests.overdue_goal_reminders_send(today=today)
    digests.overdue_goal_reminders_send(today=today)  # the same week again
    [reminder] = Notification.objects.filter(kind=Kind.REMINDER_GOAL)
    assert reminder.title == "1 goal is past the target date"
    assert "Late one" in reminder.body and "Fine one" not in reminder.body
    digests.overdue_goal_reminders_send(today=today + dt.timedelta(days=7))
    assert Notification.objects.filter(kind=Kind.REMINDER_GOAL).count() == 2


def test_learners_who_have_not_checked_in_are_reminded_before_the_review(learner, program):
    today = timezone.localdate()
    period = ReviewPeriod.objects.create(
        program=program,
        name="Spring",
        start_date=today - dt.timedelta(days=150),
        end_date=today + dt.timedelta(days=10),
    )
    done = UserFactory()
    EnrollmentFactory(learner=done, program=program)
    CheckInFactory(learner=done)

    assert digests.checkin_reminders_send(today=today) == 1
    digests.checkin_reminders_send(today=today)
    [reminder] = Notification.objects.filter(kind=Kind.REMINDER_CHECKIN)
    assert reminder.recipient == learner
    assert period.name in reminder.title


def test_no_checkin_reminder_long_before_the_review(learner, program):
    today = timezone.localdate()
    ReviewPeriod.objects.create(
        program=program, name="Autumn", start_date=today, end_date=today + dt.timedelta(days=60)
    )
    assert digests.checkin_reminders_send(today=today) == 0


def test_reminders_follow_the_persons_preference(learner):
    services.notification_preference_set(
        user=learner, kind=Kind.REMINDER_GOAL, frequency=Frequency.DAILY
    )
    GoalFactory(learner=learner, target_date=dt.date(2020, 1, 1))
    mail.outbox.clear()
    digests.overdue_goal_reminders_send(today=timezone.localdate())
    assert mail.outbox == []
    assert Notification.objects.get(kind=Kind.REMINDER_GOAL).email_status == "digest"

"""The weekly coach digest and the learners' reminders (run by Celery beat).

Both are idempotent: a coach's digest is claimed by its (coach, week) row before it is sent;
a reminder is a notification with a dedupe key naming the event and its period.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import CheckIn
from coaching.models import ActionItem, CoachingRelationship, Comment, Meeting
from coaching.overview import coachee_overview
from coaching.selectors import threads_readable_by
from notifications import delivery
from notifications.models import Digest, Frequency, Kind
from notifications.selectors import preference_of
from notifications.services import notification_send
from portfolio.models import Goal
from programs.models import Enrollment, ReviewPeriod

logger = logging.getLogger(__name__)

CHECKIN_REMINDER_WINDOW = dt.timedelta(days=14)


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def _period_bounds(period_start: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(period_start, dt.time.min))
    return start, start + dt.timedelta(days=7)


def coach_digest_body(*, coach: User, period_start: dt.date, now: dt.datetime) -> str | None:
    """The text of a coach's weekly digest, or None when there is nothing to tell."""
    start, end = _period_bounds(period_start)
    end = min(end, now)
    coachees = coachee_overview(coach=coach, now=now)
    if not coachees:
        return None
    threads = [
        t
        for t in threads_readable_by(viewer=coach)
        if t.participant_id == coach.pk and start <= t.last_activity_at
    ]
    comments: dict[int, list[Comment]] = defaultdict(list)
    for comment in (
        Comment.objects.filter(
            thread__in=threads, created_at__gte=start, created_at__lt=end, deleted_at__isnull=True
        )
        .select_related("author", "thread")
        .order_by("created_at", "id")
    ):
        comments[comment.thread_id].append(comment)
    learner_ids = [c.learner.pk for c in coachees]
    checked_in = set(
        CheckIn.objects.filter(
            learner_id__in=[c.learner.pk for c in coachees if c.sees_checkins],
            created_at__gte=start,
            created_at__lt=end,
        ).values_list("learner_id", flat=True)
    )
    decided = list(
        ActionItem.objects.filter(
            meeting__coach=coach, learner_id__in=learner_ids, decided_at__gte=start
        ).order_by("decided_at")
    )
    sections: list[dict[str, Any]] = []
    for coachee in coachees:
        learner_threads = [
            t for t in threads if t.learner_id == coachee.learner.pk and comments[t.pk]
        ]
        items = [a for a in decided if a.learner_id == coachee.learner.pk]
        sections.append(
            {
                "coachee": coachee,
                "threads": [(t, comments[t.pk], delivery.site_url(t.url)) for t in learner_threads],
                "checked_in": coachee.learner.pk in checked_in,
                "items": items,
            }
        )
    active = [
        s for s in sections if s["threads"] or s["items"] or s["checked_in"] or s["coachee"].reasons
    ]
    if not active:
        return None
    return render_to_string(
        "coaching/email/coach_digest.txt",
        {
            "coach": coach,
            "sections": active,
            "quiet": len(sections) - len(active),
            "period_start": period_start,
            "period_end": period_start + dt.timedelta(days=6),
            "overview": delivery.site_url(reverse("coaching-overview")),
            "settings": delivery.site_url(reverse("coaching-preferences")),
        },
    )


def coach_digest_send(
    *, coach: User, period_start: dt.date, now: dt.datetime | None = None
) -> bool:
    """Send `coach` their digest of the week starting `period_start`, at most once."""
    now = now or timezone.now()
    if preference_of(user=coach, kind=Kind.COACH_DIGEST) == Frequency.OFF or not coach.email:
        return False
    claim = delivery.digest_claim(
        recipient=coach, kind=Digest.DigestKind.COACH_WEEKLY, period_start=period_start
    )
    if claim is None:
        return False
    body = coach_digest_body(coach=coach, period_start=period_start, now=now)
    if body is None:
        Digest.objects.filter(pk=claim.digest.pk).update(status=Digest.Status.EMPTY)
        return False
    subject = f"Your coachees, week of {period_start:%d %b %Y}"
    delivery.digest_send(digest=claim.digest, subject=subject, body=body)
    return True


def coach_digests_send(*, period_start: dt.date | None = None) -> int:
    """Every coach's digest for one week (by default the week that just ended)."""
    today = timezone.localdate()
    period_start = period_start or week_start(today) - dt.timedelta(days=7)
    coach_ids = CoachingRelationship.objects.active().values_list("coach_id", flat=True).distinct()
    sent = 0
    for coach in User.objects.filter(pk__in=coach_ids, is_active=True):
        try:
            sent += coach_digest_send(coach=coach, period_start=period_start)
        except Exception:
            logger.exception("coach digest for %s failed; it will be retried", coach.pk)
    # Digests whose email failed in an earlier run get another go.
    for digest in Digest.objects.filter(
        kind=Digest.DigestKind.COACH_WEEKLY,
        status=Digest.Status.FAILED,
        period_start__gte=period_start - dt.timedelta(days=28),
    ).select_related("recipient"):
        try:
            sent += coach_digest_send(coach=digest.recipient, period_start=digest.period_start)
        except Exception:
            logger.exception("coach digest %s failed again", digest.pk)
    return sent


# --- Learner reminders ----------------------------------------------------------------------


def checkin_reminders_send(*, today: dt.date) -> int:
    """Remind learners to check in before a review period of their program ends, once per
    period, unless they already checked in during it."""
    periods = list(
        ReviewPeriod.objects.filter(
            end_date__gte=today, end_date__lte=today + CHECKIN_REMINDER_WINDOW
        ).select_related("program")
    )
    sent = 0
    for period in periods:
        learners = User.objects.filter(
            pk__in=Enrollment.objects.current().filter(program=period.program).values("learner_id"),
            is_active=True,
        ).exclude(
            pk__in=CheckIn.objects.filter(created_at__date__gte=period.start_date).values(
                "learner_id"
            )
        )
        for learner in learners:
            notification_send(
                recipient=learner,
                kind=Kind.REMINDER_CHECKIN,
                title=f"Check in before the {period.name} review ({period.end_date:%d %b})",
                body="A quick self-assessment helps your committee and your coach see "
                "where you stand.",
                url=reverse("checkin-start"),
                dedupe_key=f"checkin-before-review:{period.pk}",
            )
            sent += 1
    return sent


def overdue_goal_reminders_send(*, today: dt.date) -> int:
    """Once a week, tell each learner which of their goals are past their target date."""
    by_learner: dict[int, list[Goal]] = defaultdict(list)
    for goal in (
        Goal.objects.filter(
            status__in=[Goal.Status.PLANNED, Goal.Status.ACTIVE], target_date__lt=today
        )
        .select_related("learner")
        .order_by("target_date", "id")
    ):
        by_learner[goal.learner_id].append(goal)
    year, week, _ = today.isocalendar()
    for goals in by_learner.values():
        learner = goals[0].learner
        titles = "; ".join(g.title for g in goals[:5])
        more = f" and {len(goals) - 5} more" if len(goals) > 5 else ""
        notification_send(
            recipient=learner,
            kind=Kind.REMINDER_GOAL,
            title=f"{len(goals)} goal{'s are' if len(goals) > 1 else ' is'} past the target date",
            body=f"{titles}{more}. Update the date, add progress, or mark it done.",
            url=reverse("goal-list"),
            dedupe_key=f"goals-overdue:{year}-W{week:02}",
        )
    return len(by_learner)


def meeting_reminders_send(*, now: dt.datetime) -> int:
    """Remind both people of a meeting that takes place tomorrow (local date)."""
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    start = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min))
    meetings = Meeting.objects.filter(
        status=Meeting.Status.SCHEDULED,
        starts_at__gte=start,
        starts_at__lt=start + dt.timedelta(days=1),
    ).select_related("learner", "coach")
    sent = 0
    for meeting in meetings:
        when = timezone.localtime(meeting.starts_at)
        url = reverse("coaching-meeting", args=[meeting.public_id])
        for person, other in ((meeting.learner, meeting.coach), (meeting.coach, meeting.learner)):
            notification_send(
                recipient=person,
                kind=Kind.REMINDER_MEETING,
                title=f"Tomorrow at {when:%H:%M}: meeting with {other.name}",
                body=meeting.location,
                url=url,
                dedupe_key=f"meeting-tomorrow:{meeting.pk}:{meeting.starts_at:%Y%m%d%H%M}",
            )
            sent += 1
    return sent


def reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily reminder run; safe to repeat (every reminder has a dedupe key)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "checkin": checkin_reminders_send(today=today),
        "goals": overdue_goal_reminders_send(today=today),
        "meetings": meeting_reminders_send(now=now),
    }

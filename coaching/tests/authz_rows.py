"""Authorization-matrix rows for coaching's pages and API.

`coach` coaches `learner` (an active relationship the program assigned) and, where a row says
so, holds a share grant. Anyone not part of a relationship, thread or meeting gets 404; someone
who is part of it but may not do that action gets 403.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coaching.models import ActionItem, Comment, Meeting, Thread
from coaching.tests.factories import RelationshipFactory
from core.markdown import render_markdown
from portfolio.tests.factories import (
    CheckInFactory,
    EvidenceFactory,
    GoalFactory,
    ShareGrantFactory,
)
from tests.authz import Row, same, signed_in

JSON = "application/json"
# Only the learner and their coach; every other signed-in person gets 404.
PAIR = same(404, anonymous=302, learner=200, coach=200)
PAIR_POST = same(404, anonymous=302, learner=302, coach=302)
API_PAIR = same(404, anonymous=401, learner=200, coach=200)


def _relationship(w, **fields):
    defaults = {
        "learner": w.learner,
        "coach": w.coach,
        "program": w.program,
        "origin": "program",
        "status": "active",
        "accepted_at": timezone.now(),
    }
    defaults.update(fields)
    return RelationshipFactory(**defaults)


def _pending(w):
    return _relationship(w, status="pending", accepted_at=None)


def _shared_goal(w):
    ShareGrantFactory(learner=w.learner, grantee=w.coach, share_goals=True, share_checkins=False)
    return GoalFactory(learner=w.learner)


def _thread(w):
    goal = _shared_goal(w)
    return Thread.objects.create(
        learner=w.learner, participant=w.coach, target_type="goal", goal=goal
    )


def _coach_comment(w):
    body = "Well *done*."
    return Comment.objects.create(
        thread=_thread(w), author=w.coach, body=body, body_html=render_markdown(body)
    )


def _meeting(w):
    rel = _relationship(w)
    return Meeting.objects.create(
        relationship=rel,
        learner=w.learner,
        coach=w.coach,
        starts_at=timezone.now() + dt.timedelta(days=1),
    )


def _item(w):
    return ActionItem.objects.create(meeting=_meeting(w), learner=w.learner, title="Do it")


def _path(prefix, make, suffix=""):
    return lambda w: f"{prefix}{make(w).public_id}/{suffix}"


ROWS = [
    # --- pages ---
    Row("coaching-home", lambda w: "/coaching/", signed_in(200)),
    Row("coaching-invite", lambda w: "/coaching/invite/", signed_in(200)),
    Row(
        "coaching-assign",
        lambda w: "/coaching/assign/",
        signed_in(403, director=200, other_director=200),
        note="only directors and coordinators assign coaches",
    ),
    Row(
        "coaching-relationship",
        _path("/coaching/relationships/", _relationship),
        same(404, anonymous=302, learner=200, coach=200, director=200),
        note="the assigning program's director sees the relationship, not the portfolio",
    ),
    Row(
        "coaching-relationship-accept",
        _path("/coaching/relationships/", _pending, "accept/"),
        same(404, anonymous=302, learner=302, coach=403, director=403),
        method="POST",
        data=lambda w: {"share_scopes": ["goals"]},
        note="a program's assignment waits for the learner",
    ),
    Row(
        "coaching-relationship-decline",
        _path("/coaching/relationships/", _pending, "decline/"),
        same(404, anonymous=302, learner=302, coach=302, director=403),
        method="POST",
    ),
    Row(
        "coaching-relationship-end",
        _path("/coaching/relationships/", _relationship, "end/"),
        same(404, anonymous=302, learner=302, coach=302, director=403),
        method="POST",
    ),
    Row("coaching-overview", lambda w: "/coaching/overview/", signed_in(200)),
    Row(
        "coaching-nudge",
        lambda w: "/coaching/overview/nudge/",
        same(302, anonymous=302),
        method="POST",
        data=lambda w: {"coachees": [str(_relationship(w).public_id)], "reminder": "checkin"},
        note="everyone is sent back to the overview; only the coach's own coachees are reminded",
    ),
    Row(
        "coaching-meetings-calendar",
        lambda w: "/coaching/meetings/calendar.ics",
        signed_in(200),
        note="each person's own meetings (none for most)",
    ),
    Row(
        "coaching-meeting-calendar",
        _path("/coaching/meetings/", _meeting, "calendar.ics"),
        PAIR,
    ),
    Row(
        "coaching-coachee",
        _path("/coaching/coachees/", _relationship),
        same(404, anonymous=302, coach=200),
        note="the coach's view of a coachee; the learner has their own portfolio",
    ),
    Row("coaching-thread-list", lambda w: "/coaching/threads/", signed_in(200)),
    Row(
        "coaching-goal-thread",
        lambda w: f"/coaching/goals/{_shared_goal(w).pk}/thread/",
        PAIR,
        note="goals shared with the coach only",
    ),
    Row(
        "coaching-evidence-thread",
        lambda w: (
            ShareGrantFactory(learner=w.learner, grantee=w.coach, share_evidence=True)
            and f"/coaching/evidence/{EvidenceFactory(learner=w.learner).pk}/thread/"
        ),
        PAIR,
    ),
    Row(
        "coaching-checkin-thread",
        lambda w: (
            ShareGrantFactory(learner=w.learner, grantee=w.coach, share_checkins=True)
            and f"/coaching/checkins/{CheckInFactory(learner=w.learner).pk}/thread/"
        ),
        PAIR,
    ),
    Row(
        "coaching-thread-reply",
        lambda w: f"/coaching/threads/{_thread(w).public_id}/reply/",
        PAIR_POST,
        method="POST",
    ),
    Row(
        "coaching-comment-edit",
        _path("/coaching/comments/", _coach_comment, "edit/"),
        same(404, anonymous=302, learner=403, coach=200),
    ),
    Row(
        "coaching-comment-delete",
        _path("/coaching/comments/", _coach_comment, "delete/"),
        same(404, anonymous=302, learner=403, coach=302),
        method="POST",
    ),
    Row(
        "coaching-comment-history",
        _path("/coaching/comments/", _coach_comment, "history/"),
        PAIR,
    ),
    Row(
        "coaching-meeting-create",
        _path("/coaching/coachees/", _relationship, "meetings/new/"),
        same(404, anonymous=302, coach=200),
    ),
    Row("coaching-meeting", _path("/coaching/meetings/", _meeting), PAIR),
    Row(
        "coaching-meeting-notes",
        _path("/coaching/meetings/", _meeting, "notes/"),
        same(404, anonymous=302, learner=403, coach=302),
        method="POST",
        data=lambda w: {"agenda": "a", "shared_notes": "b", "private_notes": "c"},
    ),
    Row(
        "coaching-meeting-cancel",
        _path("/coaching/meetings/", _meeting, "cancel/"),
        PAIR_POST,
        method="POST",
    ),
    Row(
        "coaching-action-item-create",
        _path("/coaching/meetings/", _meeting, "action-items/"),
        same(404, anonymous=302, learner=403, coach=302),
        method="POST",
        data=lambda w: {"title": "Practise"},
    ),
    Row(
        "coaching-action-item-confirm",
        _path("/coaching/action-items/", _item, "confirm/"),
        same(404, anonymous=302, learner=302, coach=403),
        method="POST",
    ),
    Row(
        "coaching-action-item-decline",
        _path("/coaching/action-items/", _item, "decline/"),
        same(404, anonymous=302, learner=302, coach=403),
        method="POST",
    ),
]

API = "/api/v1/coaching"
API_PAIR_POST = same(404, anonymous=401, learner=200, coach=200)
API_SIGNED_IN = same(200, anonymous=401)


ROWS += [
    Row("api-coaching-relationship-list", lambda w: f"{API}/relationships/", API_SIGNED_IN),
    Row(
        "api-coaching-relationship-invite",
        lambda w: f"{API}/relationships/invite/",
        same(201, anonymous=401, coach=400),
        method="POST",
        data=lambda w: {"coach_email": w.coach.email},
        content_type=JSON,
        note="anyone may ask the coach; the coach cannot coach themself",
    ),
    Row(
        "api-coaching-relationship-assign",
        lambda w: f"{API}/relationships/assign/",
        same(404, anonymous=401, director=201),
        method="POST",
        data=lambda w: {"program": w.program.pk, "learner": w.learner.pk, "coach": w.coach.pk},
        content_type=JSON,
    ),
    Row(
        "api-coaching-relationship-detail",
        lambda w: f"{API}/relationships/{_relationship(w).public_id}/",
        same(404, anonymous=401, learner=200, coach=200, director=200),
    ),
    Row(
        "api-coaching-relationship-accept",
        lambda w: f"{API}/relationships/{_pending(w).public_id}/accept/",
        same(404, anonymous=401, learner=200, coach=403, director=403),
        method="POST",
    ),
    Row(
        "api-coaching-relationship-decline",
        lambda w: f"{API}/relationships/{_pending(w).public_id}/decline/",
        same(404, anonymous=401, learner=200, coach=200, director=403),
        method="POST",
    ),
    Row(
        "api-coaching-relationship-end",
        lambda w: f"{API}/relationships/{_relationship(w).public_id}/end/",
        same(404, anonymous=401, learner=200, coach=200, director=403),
        method="POST",
    ),
    Row("api-coaching-overview", lambda w: f"{API}/overview/", API_SIGNED_IN),
    Row(
        "api-coaching-nudge",
        lambda w: f"{API}/nudges/",
        same(400, anonymous=401, coach=200),
        method="POST",
        data=lambda w: {"relationships": [str(_relationship(w).public_id)], "reminder": "goals"},
        content_type=JSON,
        note="a relationship that is not the caller's own active one is refused like a bad id",
    ),
    Row(
        "api-coaching-meetings-calendar",
        lambda w: f"{API}/meetings/calendar/",
        API_SIGNED_IN,
    ),
    Row(
        "api-coaching-meeting-calendar",
        lambda w: f"{API}/meetings/{_meeting(w).public_id}/calendar/",
        API_PAIR,
    ),
    Row("api-coaching-thread-list", lambda w: f"{API}/threads/", API_SIGNED_IN),
    Row(
        "api-coaching-thread-detail",
        lambda w: f"{API}/threads/{_thread(w).public_id}/",
        API_PAIR,
    ),
    Row(
        "api-coaching-thread-reply",
        lambda w: f"{API}/threads/{_thread(w).public_id}/comments/",
        same(404, anonymous=401, learner=201, coach=201),
        method="POST",
        data=lambda w: {"body": "Thanks"},
        content_type=JSON,
    ),
    Row(
        "api-coaching-comment-create",
        lambda w: f"{API}/comments/",
        same(404, anonymous=401, learner=400, coach=201),
        method="POST",
        data=lambda w: {"target_type": "goal", "target_id": _shared_goal(w).pk, "body": "Hi"},
        content_type=JSON,
        note="the learner replies in a thread someone opened; they do not open one",
    ),
    Row(
        "api-coaching-comment-detail",
        lambda w: f"{API}/comments/{_coach_comment(w).public_id}/",
        same(404, anonymous=401, learner=403, coach=200),
        method="PATCH",
        data=lambda w: {"body": "Edited"},
        content_type=JSON,
    ),
    Row(
        "api-coaching-comment-revisions",
        lambda w: f"{API}/comments/{_coach_comment(w).public_id}/revisions/",
        API_PAIR,
    ),
    Row("api-coaching-meeting-list", lambda w: f"{API}/meetings/", API_SIGNED_IN),
    Row(
        "api-coaching-meeting-detail",
        lambda w: f"{API}/meetings/{_meeting(w).public_id}/",
        API_PAIR,
    ),
    Row(
        "api-coaching-meeting-cancel",
        lambda w: f"{API}/meetings/{_meeting(w).public_id}/cancel/",
        API_PAIR_POST,
        method="POST",
    ),
    Row(
        "api-coaching-action-item-create",
        lambda w: f"{API}/meetings/{_meeting(w).public_id}/action-items/",
        same(404, anonymous=401, learner=403, coach=201),
        method="POST",
        data=lambda w: {"title": "Practise"},
        content_type=JSON,
    ),
    Row("api-coaching-action-item-list", lambda w: f"{API}/action-items/", API_SIGNED_IN),
    Row(
        "api-coaching-action-item-confirm",
        lambda w: f"{API}/action-items/{_item(w).public_id}/confirm/",
        same(404, anonymous=401, learner=200, coach=403),
        method="POST",
    ),
    Row(
        "api-coaching-action-item-decline",
        lambda w: f"{API}/action-items/{_item(w).public_id}/decline/",
        same(404, anonymous=401, learner=200, coach=403),
        method="POST",
    ),
]

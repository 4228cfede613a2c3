"""A meeting agenda drafted from what happened since the last meeting.

Only what the coach may see goes in: every read goes through `portfolio.selectors`, and is
appended to the learner's access log like any other read.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coaching.models import ActionItem, CoachingRelationship, Meeting, Thread
from coaching.overview import level_text, self_assessed_gaps
from portfolio.models import AccessLog, Goal
from portfolio.selectors import (
    access_for,
    checkins_visible_to,
    evidence_visible_to,
    goals_visible_to,
)
from portfolio.services import access_log_record

MAX_LINES = 8


def _since(relationship: CoachingRelationship, before: dt.datetime) -> dt.datetime:
    last = (
        Meeting.objects.filter(relationship=relationship, starts_at__lt=before)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return last or relationship.accepted_at or relationship.created_at


def _md(text: str) -> str:
    """Keep a title from turning into markup in the agenda's Markdown."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in " ".join(text.split()))


def agenda_draft(*, relationship: CoachingRelationship, before: dt.datetime | None = None) -> str:
    """Markdown agenda for the next meeting from the coachee's activity since the last one."""
    before = before or timezone.now()
    since = _since(relationship, before)
    today = timezone.localdate()
    coach, learner = relationship.coach, relationship.learner
    access = access_for(viewer=coach, learner=learner)
    sections: list[tuple[str, list[str]]] = []
    seen: list[object] = []

    goals = list(
        goals_visible_to(viewer=coach, learner=learner, access=access).filter(
            status__in=[Goal.Status.PLANNED, Goal.Status.ACTIVE]
        )
    )
    overdue = [g for g in goals if g.is_overdue(today)]
    if overdue:
        seen += overdue
        sections.append(
            (
                "Overdue goals",
                [f"{_md(g.title)} (target {g.target_date:%d %b %Y})" for g in overdue],
            )
        )
    changed = [g for g in goals if g.updated_at >= since and g not in overdue]
    if changed:
        seen += changed
        sections.append(("Goals set or changed", [_md(g.title) for g in changed]))

    checkins = list(
        checkins_visible_to(viewer=coach, learner=learner, access=access).filter(
            created_at__gte=since
        )
    )
    if checkins:
        seen += checkins
        gaps = self_assessed_gaps(learner_ids=[learner.pk]).get(learner.pk, [])
        lines = [f"{len(checkins)} check-in{'s' if len(checkins) > 1 else ''} since we last met"]
        lines += [
            f"Gap: {_md(g.code)} {_md(g.title)} — self {level_text(g.self_level)}, "
            f"expected {level_text(g.expected)}"
            for g in gaps
        ]
        sections.append(("Self-assessment", lines))

    evidence = list(
        evidence_visible_to(viewer=coach, learner=learner, access=access).filter(
            created_at__gte=since
        )
    )
    if evidence:
        seen += evidence
        sections.append(
            ("New evidence", [f"{_md(e.title)} ({e.get_kind_display().lower()})" for e in evidence])
        )

    open_items = list(
        ActionItem.objects.filter(
            meeting__relationship=relationship, status=ActionItem.Status.PROPOSED
        ).order_by("created_at")
    )
    if open_items:
        sections.append(
            ("Action items still waiting for confirmation", [_md(a.title) for a in open_items])
        )

    threads = Thread.objects.filter(
        learner=learner, participant=coach, last_activity_at__gte=since
    ).count()
    if threads:
        sections.append(
            ("Conversations", [f"{threads} thread{'s' if threads > 1 else ''} active since then"])
        )

    access_log_record(access=access, items=seen, action=AccessLog.Action.LIST)
    header = f"Since {timezone.localdate(since):%d %b %Y}:"
    if not sections:
        return f"{header}\n\n- Nothing new shared with you. Ask how things are going."
    parts = [header]
    for title, lines in sections:
        shown = lines[:MAX_LINES]
        more = len(lines) - len(shown)
        parts.append(f"**{title}**\n\n" + "\n".join(f"- {line}" for line in shown))
        if more:
            parts[-1] += f"\n- …and {more} more"
    return "\n\n".join(parts)

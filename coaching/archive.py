"""Coaching's sections of the portable archive (docs/portfolio-export.md): the threads on the
learner's items, and the meetings with their shared notes and action items — what the learner
reads, never a coach's private notes. Written with others, they are kept as read-only records
on import, with the names of their authors as they were exported."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Prefetch

from accounts.models import User
from coaching.models import BODY_MAX, NOTES_MAX, ActionItem, Comment, Meeting, Thread
from portfolio.archive import (
    ArchiveSection,
    Checker,
    ExportContext,
    archive_section_register,
)


def _stamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _name(user: User | None) -> str:
    return user.name if user is not None else ""


def _threads(context: ExportContext) -> list[dict[str, Any]]:
    threads = (
        Thread.objects.filter(learner=context.learner)
        .select_related("participant", "goal", "evidence", "checkin")
        .prefetch_related(Prefetch("comments", queryset=Comment.objects.select_related("author")))
    )
    items = []
    for thread in threads:
        # The item by its identifier in this document (evidence and goal `id`, check-in token).
        target: dict[str, Any] = {"type": thread.target_type, "label": thread.target_label}
        if thread.goal is not None:
            target["goal"] = str(thread.goal.public_id)
        elif thread.evidence is not None:
            target["evidence"] = str(thread.evidence.public_id)
        elif thread.checkin is not None:
            target["checkin"] = str(thread.checkin.client_token)
        items.append(
            {
                "id": str(thread.public_id),
                "with": _name(thread.participant),
                "created_at": _stamp(thread.created_at),
                "target": target,
                "comments": [
                    {
                        "id": str(c.public_id),
                        "author": _name(c.author),
                        # A deleted comment is a tombstone for the learner too.
                        "body": "" if c.is_deleted else c.body,
                        "created_at": _stamp(c.created_at),
                        "edited_at": _stamp(c.edited_at),
                        "deleted_at": _stamp(c.deleted_at),
                    }
                    for c in sorted(thread.comments.all(), key=lambda c: (c.created_at, c.pk))
                ],
            }
        )
    return items


def _check_thread(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.text(item, "with", p, max_length=200)
    check.instant(item, "created_at", p, optional=False)
    target = check.obj(item.get("target"), p + "target")
    check.choice(target, "type", p + "target.", Thread.TargetType.values)
    check.text(target, "label", p + "target.", max_length=300)
    for j, c in enumerate(check.items(item, "comments", p)):
        q = f"{p}comments[{j}]."
        c = check.obj(c, q[:-1])
        check.text(c, "author", q, max_length=200)
        check.text(c, "body", q, max_length=BODY_MAX)
        check.instant(c, "created_at", q, optional=False)
        check.instant(c, "edited_at", q)
        check.instant(c, "deleted_at", q)


def _meetings(context: ExportContext) -> list[dict[str, Any]]:
    meetings = (
        Meeting.objects.filter(learner=context.learner)
        .select_related("coach")
        .prefetch_related(
            Prefetch("action_items", queryset=ActionItem.objects.select_related("created_by"))
        )
    )
    return [
        {
            "id": str(m.public_id),
            "coach": _name(m.coach),
            "starts_at": _stamp(m.starts_at),
            "duration_minutes": m.duration_minutes,
            "location": m.location,
            "status": m.status,
            "agenda": m.agenda,
            "shared_notes": m.shared_notes,
            "action_items": sorted(
                (
                    {
                        "id": str(a.public_id),
                        "title": a.title,
                        "detail": a.detail,
                        "target_date": a.target_date.isoformat() if a.target_date else None,
                        "status": a.status,
                        "proposed_by": _name(a.created_by),
                    }
                    for a in m.action_items.all()
                ),
                key=lambda a: (a["title"], a["id"]),
            ),
        }
        for m in meetings
    ]


def _check_meeting(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.text(item, "coach", p, max_length=200)
    check.instant(item, "starts_at", p, optional=False)
    check.whole(item, "duration_minutes", p, minimum=1)
    check.text(item, "location", p, max_length=200)
    check.choice(item, "status", p, Meeting.Status.values)
    check.text(item, "agenda", p, max_length=NOTES_MAX)
    check.text(item, "shared_notes", p, max_length=NOTES_MAX)
    for j, a in enumerate(check.items(item, "action_items", p)):
        q = f"{p}action_items[{j}]."
        a = check.obj(a, q[:-1])
        check.text(a, "title", q, max_length=200)
        check.text(a, "detail", q, max_length=2000)
        check.date(a, "target_date", q, optional=True)
        check.choice(a, "status", q, ActionItem.Status.values)
        check.text(a, "proposed_by", q, max_length=200)


def _ids(queryset: Any) -> list[uuid.UUID]:
    return list(queryset.values_list("public_id", flat=True))


def register() -> None:
    archive_section_register(
        ArchiveSection(
            key="coaching_threads",
            label=lambda t: f"On {t['target']['label']} ({len(t['comments'])} comments)",
            author=lambda t: t["with"],
            one="coaching thread",
            several="coaching threads",
            description="conversations with coaches and others on the learner's items",
            export=_threads,
            check=_check_thread,
            sort_key=lambda t: (t["created_at"],),
            known_ids=lambda learner: _ids(Thread.objects.filter(learner=learner)),
        )
    )
    archive_section_register(
        ArchiveSection(
            key="coaching_meetings",
            label=lambda m: f"Meeting ({m['status']}), {len(m['action_items'])} action items",
            author=lambda m: m["coach"],
            one="coaching meeting",
            several="coaching meetings",
            description="coaching meetings with their shared notes and action items",
            export=_meetings,
            check=_check_meeting,
            sort_key=lambda m: (m["starts_at"],),
            known_ids=lambda learner: _ids(Meeting.objects.filter(learner=learner)),
        )
    )

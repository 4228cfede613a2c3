"""What needs this person today, across their roles — the top of the home page.

A page that composes several apps reads them through their selectors (DESIGN.md). Each
role adds its own queries only when the person holds it, so a learner's home stays lean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.selectors.observations import request_counts_for
from coaching.selectors import coachee_relationships
from notifications.selectors import unread_count
from programs.models import ProgramRole
from programs.selectors import programs_led_by


@dataclass(frozen=True)
class WorkItem:
    title: str
    detail: str
    url: str
    urgent: bool = False


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _inbox_item(user: User, unread: int | None) -> WorkItem | None:
    if unread is None:
        # Query: unread notifications (a page that showed the header has read them).
        unread = unread_count(user=user)
    if not unread:
        return None
    return WorkItem("Inbox", f"{_plural(unread, 'unread notification')}", reverse("coaching-inbox"))


def _assessor_item(user: User, today: dt.date) -> WorkItem | None:
    # Query: open and overdue requests addressed to the assessor, counted together.
    waiting, overdue = request_counts_for(assessor=user, today=today)
    if not waiting:
        return None
    detail = f"{_plural(waiting, 'observation request')} waiting"
    if overdue:
        detail += f", {overdue} overdue"
    return WorkItem("Observations", detail, reverse("assessor-inbox"), urgent=bool(overdue))


def _coach_item(user: User) -> WorkItem | None:
    # Query: active coachees.
    coachees = coachee_relationships(coach=user).count()
    if not coachees:
        return None
    return WorkItem(
        "Coaching",
        f"{_plural(coachees, 'coachee')}, sorted by who needs you first",
        reverse("coaching-overview"),
    )


def _program_items(user: User) -> list[WorkItem]:
    # Query: programs the person leads or reviews.
    return [
        WorkItem(
            program.name,
            "Cohort heatmap, early-warning flags and review packets",
            reverse("program-heatmap", kwargs={"program_id": program.pk}),
        )
        for program in programs_led_by(user=user).order_by("name")
    ]


def worklist_for(
    *, user: User, roles: set[str], unread: int | None = None, today: dt.date | None = None
) -> list[WorkItem]:
    """The person's waiting work, most urgent first. `unread`: their unread notifications,
    where the caller has counted them already."""
    today = today or timezone.localdate()
    items: list[WorkItem | None] = [_inbox_item(user, unread)]
    if roles.intersection(ProgramRole.ASSESSOR_ROLES):
        items.append(_assessor_item(user, today))
    if "coach" in roles:
        items.append(_coach_item(user))
    found = [item for item in items if item is not None]
    if roles.intersection(ProgramRole.REVIEW_ROLES):
        found.extend(_program_items(user))
    return sorted(found, key=lambda item: not item.urgent)

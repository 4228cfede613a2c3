"""Reads for rotation schedules and the completion of end-of-rotation evaluations.

Who may read: the program's directors and coordinators (and site admins), the people who run
its schedule (`programs_managed_by`). A block's learner and supervisor see the evaluation as
an ordinary observation request (`assessments.selectors.observations`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from assessments.models import AssessmentRequest, Rotation, ScheduledRotation
from programs.models import Program
from programs.selectors import programs_managed_by

OPEN = AssessmentRequest.Status.OPEN
COMPLETED = AssessmentRequest.Status.COMPLETED


def program_scheduled_by(*, user: User, program_id: int) -> Program | None:
    """The program if `user` runs its schedule (director, coordinator; admins), else None."""
    return programs_managed_by(user=user).filter(pk=program_id).first()


def rotations_of(*, program: Program) -> QuerySet[Rotation]:
    return (
        Rotation.objects.filter(program=program)
        .select_related("form", "framework")
        .prefetch_related("competencies")
        .order_by("name")
    )


def schedule_of(*, program: Program) -> QuerySet[ScheduledRotation]:
    """The program's blocks, earliest first, with everything a row of the page shows."""
    return (
        ScheduledRotation.objects.filter(rotation__program=program)
        .select_related("rotation", "learner", "supervisor", "evaluation")
        .order_by("start_on", "learner__email", "id")
    )


def block_scheduled_by(*, user: User, pk: int) -> ScheduledRotation | None:
    """A block of a program whose schedule `user` runs, else None (the caller answers 404)."""
    return (
        ScheduledRotation.objects.filter(
            pk=pk, rotation__program__in=programs_managed_by(user=user).values("pk")
        )
        .select_related(
            "rotation", "rotation__program__institution", "learner", "supervisor", "evaluation"
        )
        .first()
    )


@dataclass(frozen=True)
class CompletionRow:
    key: int
    label: str
    requested: int
    completed: int
    waiting: int
    overdue: int


@dataclass(frozen=True)
class Completion:
    by_faculty: list[CompletionRow]
    by_rotation: list[CompletionRow]
    # Evaluations still waiting, overdue first, then by due date (capped: the page says so).
    waiting: list[ScheduledRotation]
    waiting_total: int


WAITING_SHOWN = 100


def _counted(rows: QuerySet[Any, Any], today: dt.date) -> QuerySet[Any, dict[str, Any]]:
    """Per group: evaluations asked for, completed, waiting, and waiting past their due date."""
    asked = Q(evaluation_state=ScheduledRotation.State.REQUESTED, evaluation__isnull=False)
    waiting = asked & Q(evaluation__status=OPEN)
    counted = rows.annotate(
        requested=Count("pk", filter=asked),
        completed=Count("pk", filter=asked & Q(evaluation__status=COMPLETED)),
        waiting=Count("pk", filter=waiting),
        overdue=Count("pk", filter=waiting & Q(evaluation__due_on__lt=today)),
    )
    return cast("QuerySet[Any, dict[str, Any]]", counted.filter(requested__gt=0))


def completion_of(*, program: Program, today: dt.date) -> Completion:
    """Evaluations asked for, done and overdue, by supervising faculty and by rotation, plus
    the waiting ones (overdue first). Counted in the database: three queries at any size."""
    blocks = ScheduledRotation.objects.filter(rotation__program=program)
    faculty = blocks.values("supervisor_id", "supervisor__display_name", "supervisor__email")
    by_faculty = [
        CompletionRow(
            r["supervisor_id"],
            r["supervisor__display_name"] or r["supervisor__email"],
            r["requested"],
            r["completed"],
            r["waiting"],
            r["overdue"],
        )
        for r in _counted(faculty, today).order_by(
            "-overdue", "supervisor__display_name", "supervisor_id"
        )
    ]
    rotations = blocks.values("rotation_id", "rotation__name")
    by_rotation = [
        CompletionRow(
            r["rotation_id"],
            r["rotation__name"],
            r["requested"],
            r["completed"],
            r["waiting"],
            r["overdue"],
        )
        for r in _counted(rotations, today).order_by("-overdue", "rotation__name")
    ]
    waiting = (
        blocks.filter(evaluation__status=OPEN)
        .select_related("rotation", "learner", "supervisor", "evaluation")
        .order_by("evaluation__due_on", "pk")
    )
    rows = list(waiting[:WAITING_SHOWN])
    total = sum(r.waiting for r in by_rotation)
    return Completion(by_faculty, by_rotation, rows, total)

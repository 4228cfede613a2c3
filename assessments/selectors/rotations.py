"""Reads for rotation schedules and the completion of end-of-rotation evaluations.

Who may read: the program's directors and coordinators (and site admins), the people who run
its schedule (`programs_managed_by`). A block's learner and supervisor see the evaluation as
an ordinary observation request (`assessments.selectors.observations`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from assessments.models import AssessmentRequest, Rotation, ScheduledRotation
from core.db import CompiledQuery, InSubquery, Read, read_together
from programs.models import Program
from programs.selectors import program_managed_by_read, programs_managed_by

OPEN = AssessmentRequest.Status.OPEN
COMPLETED = AssessmentRequest.Status.COMPLETED


def program_scheduled_by(*, user: User, program_id: int) -> Program | None:
    """The program if `user` runs its schedule (director, coordinator; admins), else None."""
    return program_managed_by_read(user=user, program_id=program_id).run()


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
class WaitingEvaluation:
    """One evaluation still waiting for its supervisor, as the dashboard lists it."""

    block_id: int
    request_id: int
    supervisor: str
    learner: str
    rotation: str
    due_on: dt.date
    last_reminded_on: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class Completion:
    by_faculty: list[CompletionRow]
    by_rotation: list[CompletionRow]
    # Evaluations still waiting, by due date (so overdue first); the first WAITING_SHOWN.
    waiting: list[WaitingEvaluation]
    waiting_total: int


WAITING_SHOWN = 50


def _person(display_name: str, first: str, last: str, email: str) -> str:
    """`User.name` from values, without building a User per row."""
    return display_name or f"{first} {last}".strip() or email


def _rows(groups: dict[tuple[int, str], list[int]]) -> list[CompletionRow]:
    rows = [CompletionRow(key, label, *numbers) for (key, label), numbers in groups.items()]
    # Overdue first, then by name.
    return sorted(rows, key=lambda r: (-r.overdue, r.label.lower(), r.key))


_NAMES = ("display_name", "first_name", "last_name", "email")
_ASKED = Q(evaluation_state=ScheduledRotation.State.REQUESTED, evaluation__isnull=False)


def _of_program(program_id: int) -> Q:
    """The program's blocks whose evaluation was asked for, named from both sides: the
    rotation's program (through the rotations' ids) and the evaluation request's program,
    which `_evaluation_send` sets to the rotation's. Either alone answers the same; both let
    PostgreSQL start from each table's index and join two small sets, instead of scanning
    every program's blocks or requests (`make bench` row (f))."""
    rotations = Rotation.objects.filter(program_id=program_id).order_by().values("pk")
    return Q(InSubquery("rotation_id", rotations), evaluation__program_id=program_id)


def _pairs(program_id: int, today: dt.date) -> QuerySet[Any, Any]:
    """Counts per (supervising faculty, rotation) pair of the program, by their ids."""
    return (
        ScheduledRotation.objects.filter(_ASKED, _of_program(program_id))
        .values_list("supervisor_id", "rotation_id")
        .annotate(
            requested=Count("pk"),
            completed=Count("pk", filter=Q(evaluation__status=COMPLETED)),
            waiting=Count("pk", filter=Q(evaluation__status=OPEN)),
            overdue=Count("pk", filter=Q(evaluation__status=OPEN, evaluation__due_on__lt=today)),
        )
        .order_by()
    )


# The pairs' counts are taken over the ids alone and named afterwards: joined before the
# counting, each of a large program's thousands of blocks looked up its faculty and its
# rotation and was sorted by their names (at 10x, 17.5 of the statement's 18 ms; `make bench`
# row (f)), where a pair is named once. The inner statement is `_pairs`, its rule unchanged.
_NAMED_PAIRS_SQL = """
SELECT p.supervisor_id, u.display_name, u.first_name, u.last_name, u.email,
       p.rotation_id, r.name, p.requested, p.completed, p.waiting, p.overdue
FROM ({pairs}) p
JOIN {users} u ON u.id = p.supervisor_id
JOIN {rotations} r ON r.id = p.rotation_id
"""


def _named_pairs(program_id: int, today: dt.date) -> Read[list[tuple[Any, ...]]]:
    pairs = _PAIRS.read(program_id=program_id, today=today)
    sql = _NAMED_PAIRS_SQL.format(
        pairs=pairs.sql, users=User._meta.db_table, rotations=Rotation._meta.db_table
    )
    return Read(sql, pairs.params, list)


def _waiting(program_id: int) -> QuerySet[Any, Any]:
    """The program's first waiting evaluations, by due date (so overdue first)."""
    return (
        ScheduledRotation.objects.filter(_ASKED, _of_program(program_id), evaluation__status=OPEN)
        .order_by("evaluation__due_on", "pk")
        .values_list(
            "pk",
            "evaluation_id",
            *(f"supervisor__{n}" for n in _NAMES),
            *(f"learner__{n}" for n in _NAMES),
            "rotation__name",
            "evaluation__due_on",
            "evaluation__last_reminded_on",
        )[:WAITING_SHOWN]
    )


# The completion dashboard runs both statements on every request: compiled by the ORM once
# (core.db.CompiledQuery), sent together in one round trip; `make bench` row (f) showed the
# ORM's building of them costing more than the database's work.
_PAIRS = CompiledQuery(_pairs, dates=("today",))
_WAITING = CompiledQuery(_waiting)


def completion_of(*, program: Program, today: dt.date) -> Completion:
    """Evaluations asked for, done, waiting and overdue, by supervising faculty and by
    rotation, plus the waiting ones (overdue first). Two queries at any size, in one round
    trip: the counts per (faculty, rotation) pair, summed here both ways (at most faculty ×
    rotations rows), and the first waiting evaluations."""
    pairs, waiting = read_together(
        _named_pairs(program.pk, today), _WAITING.read(program_id=program.pk)
    )
    by_faculty: dict[tuple[int, str], list[int]] = {}
    by_rotation: dict[tuple[int, str], list[int]] = {}
    for row in pairs:
        faculty = (row[0], _person(*row[1:5]))
        rotation = (row[5], row[6])
        for groups, key in ((by_faculty, faculty), (by_rotation, rotation)):
            total = groups.setdefault(key, [0, 0, 0, 0])
            for index, number in enumerate(row[7:11]):
                total[index] += number
    shown = [
        WaitingEvaluation(
            block_id=row[0],
            request_id=row[1],
            supervisor=_person(*row[2:6]),
            learner=_person(*row[6:10]),
            rotation=row[10],
            due_on=row[11],
            last_reminded_on=row[12],
            overdue=row[11] < today,
        )
        for row in waiting
    ]
    faculty_rows = _rows(by_faculty)
    return Completion(faculty_rows, _rows(by_rotation), shown, sum(r.waiting for r in faculty_rows))

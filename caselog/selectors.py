"""Reads for the procedure and case log.

Who reads what: the learner their own entries and totals; the supervisor an entry names, that
entry (to verify it), each read in the learner's access log; a program's directors and
coordinators (and admins) the program's procedure list and its learners' totals."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import User
from caselog.models import CaseLogEntry, Procedure
from programs.models import Enrollment, Program
from programs.selectors import program_managed_by_read

_COUNTED = Q(entries__verified_at__isnull=False, entries__role__in=CaseLogEntry.COUNTED_ROLES)


def program_listed_by(*, user: User, program_id: int) -> Program | None:
    """The program if `user` keeps its procedure list (director, coordinator; admins)."""
    return program_managed_by_read(user=user, program_id=program_id).run()


def procedures_of(*, program: Program) -> QuerySet[Procedure]:
    return Procedure.objects.filter(program=program).order_by("code")


def procedures_to_log(*, learner: User) -> QuerySet[Procedure]:
    """The active procedures of the programs the learner is enrolled in now."""
    return (
        Procedure.objects.filter(
            is_active=True,
            program__in=Enrollment.objects.current().filter(learner=learner).values("program_id"),
        )
        .select_related("program")
        .order_by("program__name", "code")
    )


def entries_of(*, viewer: User, learner: User) -> QuerySet[CaseLogEntry]:
    """The learner's entries, newest first. Only the learner reads the whole log."""
    if viewer.pk != learner.pk:
        return CaseLogEntry.objects.none()
    return (
        CaseLogEntry.objects.filter(learner=learner)
        .select_related("procedure", "supervisor")
        .order_by("-performed_on", "-id")
    )


def entries_to_verify(*, supervisor: User) -> QuerySet[CaseLogEntry]:
    """Entries that name `supervisor` and wait for their verification, oldest first."""
    return (
        CaseLogEntry.objects.filter(supervisor=supervisor, verified_at__isnull=True)
        .select_related("procedure", "learner", "supervisor")
        .order_by("performed_on", "id")
    )


def entry_for_supervisor(*, user: User, pk: int) -> CaseLogEntry | None:
    """An entry naming `user` as its supervisor, else None (the caller answers 404)."""
    return (
        CaseLogEntry.objects.filter(pk=pk, supervisor=user)
        .select_related("procedure", "learner", "verified_by")
        .first()
    )


@dataclass(frozen=True)
class ProcedureTotal:
    procedure_id: int
    code: str
    name: str
    program: str
    minimum: int
    logged: int
    verified: int
    counted: int

    @property
    def still_needed(self) -> int:
        return max(self.minimum - self.counted, 0)

    @property
    def met(self) -> bool:
        return self.counted >= self.minimum


def totals_of(*, viewer: User, learner: User) -> list[ProcedureTotal]:
    """Per procedure of the learner's current programs (and any other they logged): entries
    logged, verified, and counted towards the minimum (verified, performed or supervised).
    One query. Only the learner reads them here."""
    if viewer.pk != learner.pk:
        return []
    current = Enrollment.objects.current().filter(learner=learner).values("program_id")
    rows = (
        Procedure.objects.filter(
            Q(program__in=current, is_active=True)
            | Exists(CaseLogEntry.objects.filter(procedure=OuterRef("pk"), learner=learner))
        )
        .values_list("pk", "code", "name", "program__name", "minimum")
        .annotate(
            logged=Count("entries", filter=Q(entries__learner=learner)),
            verified=Count(
                "entries", filter=Q(entries__learner=learner, entries__verified_at__isnull=False)
            ),
            counted=Count("entries", filter=Q(entries__learner=learner) & _COUNTED),
        )
        .order_by("program__name", "code")
    )
    return [ProcedureTotal(*row) for row in rows]

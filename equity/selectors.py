"""Access-scoped reads of the equity app: every rule about who sees what, once.

- A `Characteristic` is read by its owner and nobody else: no selector here returns another
  person's answers, whatever the viewer's role.
- Stored fits (aggregates only, hidden cells already empty) are read by the directors and
  coordinators of the program, and for the institution by them and by administrators.
- An assessor's signal is read by that assessor only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from equity.models import (
    AssessorSignal,
    Characteristic,
    CharacteristicCategory,
    CharacteristicUse,
    EquityFit,
)
from programs.models import Enrollment, Institution, Program, ProgramRole


def categories_for(*, learner: User) -> QuerySet[CharacteristicCategory]:
    """The active categories of the institutions the learner is or was enrolled in."""
    institutions = Enrollment.objects.filter(learner=learner).values("program__institution_id")
    return (
        CharacteristicCategory.objects.filter(institution_id__in=institutions, is_active=True)
        .select_related("institution")
        .prefetch_related("options")
        .order_by("institution__name", "order", "name")
    )


def categories_of_institutions(*, institution_ids: set[int]) -> QuerySet[CharacteristicCategory]:
    """The active categories of these institutions (the equity view's choices)."""
    return CharacteristicCategory.objects.filter(
        institution_id__in=institution_ids, is_active=True
    ).order_by("order", "name")


def characteristics_of(*, owner: User) -> QuerySet[Characteristic]:
    """The owner's own answers: the only read of answers anywhere."""
    return Characteristic.objects.filter(learner=owner).select_related("category", "option")


def characteristic_uses_of(*, owner: User) -> QuerySet[CharacteristicUse]:
    """Where the owner's answers were counted in an aggregate, newest first."""
    return CharacteristicUse.objects.filter(learner=owner).select_related("category")


@dataclass
class EquityScopes:
    programs: list[Program]
    institutions: list[Institution]

    def __bool__(self) -> bool:
        return bool(self.programs or self.institutions)


def equity_scopes_for(*, viewer: User) -> EquityScopes:
    """Programs whose equity view the viewer may open (directors and coordinators; every
    program for administrators) and institutions (theirs; all for administrators)."""
    if not viewer.is_authenticated:
        return EquityScopes([], [])
    programs = Program.objects.select_related("institution").order_by("name")
    if not viewer.is_superuser:
        programs = programs.filter(
            roles__user=viewer, roles__role__in=ProgramRole.STAFF_ROLES
        ).distinct()
    program_list = list(programs)
    if viewer.is_superuser:
        institutions = list(Institution.objects.order_by("name"))
    else:
        ids = {p.institution_id for p in program_list}
        institutions = list(Institution.objects.filter(pk__in=ids).order_by("name"))
    return EquityScopes(program_list, institutions)


def equity_fit_for(
    *,
    viewer: User,
    category_key: str,
    program_id: int | None = None,
    institution_id: int | None = None,
    scopes: EquityScopes | None = None,
) -> EquityFit | None:
    """The stored fit of a scope the viewer may see, or None (a 404 for the caller).
    `scopes`, when the caller has them already, must be `equity_scopes_for(viewer)`."""
    scopes = scopes or equity_scopes_for(viewer=viewer)
    fits = EquityFit.objects.select_related("category", "program", "institution")
    if program_id is not None:
        if program_id not in {p.pk for p in scopes.programs}:
            return None
        return fits.filter(program_id=program_id, category__key=category_key).first()
    if institution_id is not None:
        if institution_id not in {i.pk for i in scopes.institutions}:
            return None
        return fits.filter(
            institution_id=institution_id, program__isnull=True, category__key=category_key
        ).first()
    return None


def assessor_signals_for(*, assessor: User) -> QuerySet[AssessorSignal]:
    """The assessor's own signals; nobody else's."""
    return (
        AssessorSignal.objects.filter(assessor=assessor)
        .select_related("program", "category")
        .order_by("program__name", "category__order")
    )

"""Access-scoped reads for programs. Every rule about who sees a program lives here."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from programs.models import Enrollment, Program, ProgramRole


def user_holds_staff_role(*, user: User) -> bool:
    """Directors and coordinators of any program count as staff (MFA policy)."""
    return ProgramRole.objects.filter(user=user, role__in=ProgramRole.STAFF_ROLES).exists()


def roles_of(*, user: User) -> set[str]:
    return set(ProgramRole.objects.filter(user=user).values_list("role", flat=True).distinct())


def programs_led_by(*, user: User) -> QuerySet[Program]:
    """Programs where the user directs, coordinates or sits on the committee."""
    return Program.objects.filter(
        roles__user=user,
        roles__role__in=[
            ProgramRole.Role.DIRECTOR,
            ProgramRole.Role.COORDINATOR,
            ProgramRole.Role.COMMITTEE,
        ],
    ).distinct()


def current_enrollment(*, learner: User) -> Enrollment | None:
    return (
        Enrollment.objects.current()
        .filter(learner=learner)
        .select_related("program", "program__institution", "cohort")
        .order_by("-start_date")
        .first()
    )

from __future__ import annotations

from django.http import HttpRequest

from programs.models import ProgramRole
from programs.selectors import roles_of


def roles_for_request(request: HttpRequest) -> set[str]:
    """The signed-in person's program roles, read once per request (views reuse it)."""
    cached = getattr(request, "_continuum_roles", None)
    if cached is None:
        cached = roles_of(user=request.user) if request.user.is_authenticated else set()  # type: ignore[arg-type]
        request._continuum_roles = cached  # type: ignore[attr-defined]
    return cached


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which navigation sections the current person should see, from their roles."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_roles": set()}
    roles = roles_for_request(request)
    return {
        "nav_roles": roles,
        "nav_is_assessor": bool(roles.intersection(ProgramRole.ASSESSOR_ROLES)),
        "nav_is_coach": "coach" in roles,
        "nav_leads_program": bool(roles.intersection(ProgramRole.REVIEW_ROLES)),
        "nav_is_admin": user.is_staff,
    }

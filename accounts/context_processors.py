from __future__ import annotations

from django.http import HttpRequest

from programs.selectors import roles_of


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which navigation sections the current person should see, from their roles."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_roles": set()}
    roles = roles_of(user=user)  # type: ignore[arg-type]
    return {
        "nav_roles": roles,
        "nav_is_assessor": bool(roles & {"faculty", "director", "committee"}),
        "nav_is_coach": "coach" in roles,
        "nav_leads_program": bool(roles & {"director", "coordinator", "committee"}),
        "nav_is_admin": user.is_staff,
    }

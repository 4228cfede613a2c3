"""Who must use MFA: staff roles (directors, coordinators, admins) when enforced."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from accounts.models import User


def holds_staff_role(user: User) -> bool:
    # Imported here: programs sits above accounts in the layering.
    from programs.selectors import user_holds_staff_role

    return bool(user.is_staff or user.is_superuser or user_holds_staff_role(user=user))


def must_enrol_mfa(user: User) -> bool:
    if not getattr(settings, "ENFORCE_STAFF_MFA", False) or not user.is_authenticated:
        return False
    return holds_staff_role(user) and not is_mfa_enabled(user)

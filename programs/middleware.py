"""The staff MFA gate. Who counts as staff depends on program roles, so the policy lives with
the roles: directors, coordinators and administrators must set up TOTP when enforced."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from accounts.models import User
from programs.selectors import user_holds_staff_role

# Paths a staff member without MFA may still reach: to enrol, to log out, and assets. The
# public API contract is exempt; the API itself is not (see below).
_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/schema/", "/api/docs/")
_API_PREFIX = "/api/"


def holds_staff_role(user: User) -> bool:
    """Administrators, and directors or coordinators of any program."""
    return bool(user.is_staff or user.is_superuser or user_holds_staff_role(user=user))


def must_enrol_mfa(user: User) -> bool:
    """Staff must set up MFA before anything else, where the deployment enforces it."""
    if not getattr(settings, "ENFORCE_STAFF_MFA", False) or not user.is_authenticated:
        return False
    return holds_staff_role(user) and not is_mfa_enabled(user)


class StaffMfaMiddleware:
    """Sends staff who have not set up MFA to the TOTP setup page before anything else.

    Browser sessions on the API get a JSON 403 instead of a redirect; token calls are not
    affected here because a token can only be created by someone who already passed this gate
    (the token page is behind it) or by an administrator on the command line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.ENFORCE_STAFF_MFA
            and request.user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and must_enrol_mfa(request.user)  # type: ignore[arg-type]
        ):
            if request.path.startswith(_API_PREFIX):
                return JsonResponse(
                    {"detail": "Your role requires two-factor authentication; set it up first."},
                    status=403,
                )
            messages.info(
                request,
                "Your role requires two-factor authentication. "
                "Set up an authenticator app to continue.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

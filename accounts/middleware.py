from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.mfa_policy import must_enrol_mfa

# Paths a staff member without MFA may still reach: to enrol, to log out, and assets.
_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/")


class StaffMfaMiddleware:
    """Sends staff who have not set up MFA to the TOTP setup page before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.ENFORCE_STAFF_MFA
            and request.user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and must_enrol_mfa(request.user)  # type: ignore[arg-type]
        ):
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from accounts.mfa_policy import must_enrol_mfa

# Paths a staff member without MFA may still reach: to enrol, to log out, and assets. The
# public API contract is exempt; the API itself is not (see below).
_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/schema/", "/api/docs/")
_API_PREFIX = "/api/"


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

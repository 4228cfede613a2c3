"""Middleware that reads program roles: each request's roles (`request.program_roles`), and the
staff MFA gate. Who counts as staff depends on program roles, so the policy lives with the
roles: directors, coordinators and administrators must set up TOTP when enforced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from accounts.models import User
from accounts.sessions import mfa_asserted_by_idp
from core.db import Read, read_together
from notifications.context_processors import unread_of
from notifications.selectors import unread_count_read
from programs.selectors import roles_read, user_holds_staff_role


class ProgramRoles:
    """The signed-in person's program roles for one request, read at most once: on first use
    (the navigation, the worklist) or beside a page's own reads (`read_with`), in their round
    trip, so that the navigation then reads nothing."""

    def __init__(self, request: HttpRequest) -> None:
        # The request, not its user: an API view authenticates later, by token.
        self._request = request
        self._roles: set[str] | None = None

    @property
    def _user(self) -> Any:
        return self._request.user

    def get(self) -> set[str]:
        if self._roles is None:
            self._roles = (
                roles_read(user=self._user).run() if self._user.is_authenticated else set()
            )
        return self._roles

    def read_with(self, *reads: Read[Any]) -> tuple[Any, ...]:
        """What `reads` build, in order, with the roles (and the header's unread count) read
        in the same round trip."""
        if not self._user.is_authenticated:
            self._roles = set()
            return read_together(*reads)
        *results, self._roles, unread = read_together(
            *reads, roles_read(user=self._user), unread_count_read(user=self._user)
        )
        unread_of(self._request).known(unread)
        return tuple(results)


class ProgramRolesMiddleware:
    """Gives each request its `program_roles` (after authentication), as Django gives `user`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.program_roles = ProgramRoles(request)  # type: ignore[attr-defined]
        return self.get_response(request)


def program_roles(request: HttpRequest) -> ProgramRoles:
    """The request's roles, as `ProgramRolesMiddleware` set them."""
    return cast(ProgramRoles, request.program_roles)  # type: ignore[attr-defined]


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
            # An identity provider that asserted a second factor satisfies the rule.
            and not mfa_asserted_by_idp(request)
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

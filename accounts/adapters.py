from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from accounts import throttle


def _email(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "").strip().lower()


class AccountAdapter(DefaultAccountAdapter):
    """Allauth hooks for Continuum; signup is open (learners own their portfolio).

    Failed passwords are throttled per (account, address) by `accounts.throttle` in place of
    allauth's per-address and per-account limits (settings.ACCOUNT_RATE_LIMITS turns those
    off): those let a ward's typos, or a stranger, lock everyone out.
    """

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        email, address = _email(credentials), self.get_client_ip(request)
        refusal = throttle.sign_in_refusal(email=email, address=address)
        if refusal is not None:
            throttle.sign_in_refusal_record(email=email, address=address, refusal=refusal)
            raise forms.ValidationError(refusal.message(), code="too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        if user is not None:
            throttle.sign_in_succeeded(
                email=_email(credentials), address=self.get_client_ip(request)
            )
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        throttle.sign_in_failed(email=_email(credentials), address=self.get_client_ip(request))

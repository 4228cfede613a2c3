from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import LoginForm as AccountsLoginForm
from sso.selectors import sso_required_for


class LoginForm(AccountsLoginForm):
    """The password sign-in, refusing addresses whose institution requires its IdP."""

    def clean(self) -> dict[str, Any]:
        email = str(self.data.get("login", "")).strip()
        provider = sso_required_for(email) if "@" in email else None
        if provider is not None:
            domain = email.rpartition("@")[2].lower()
            raise forms.ValidationError(
                f"Addresses at {domain} sign in through {provider.institution.name}: use "
                f"“Sign in with {provider.name}” below. A personal address you added to your "
                "account still signs in with its password."
            )
        cleaned: dict[str, Any] = super().clean()
        return cleaned

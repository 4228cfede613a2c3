from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User


class AccountEraseForm(forms.Form):
    """Confirm an erasure: the password again (where the account has one) and a plain yes."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="We ask again so that nobody else at this device can erase your account.",
    )
    confirm = forms.BooleanField(
        label="I understand that my account and everything listed as removed are gone for good.",
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            # Accounts without a password (single sign-on) confirm through allauth's
            # re-authentication instead, before the view runs.
            del self.fields["password"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

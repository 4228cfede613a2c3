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


class AccountMergeForm(forms.Form):
    """Prove the other account: its address and password, with MFA accounts refused (their
    second factor cannot be asked here yet). Every wrong answer says the same thing, so the
    form does not tell which addresses have accounts."""

    email = forms.EmailField(
        label="The other account's e-mail address",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label="The other account's password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    confirm = forms.BooleanField(
        label="Move everything of the other account into this one and close the other.",
        error_messages={"required": "Tick the box to confirm."},
    )

    WRONG = "That address and password do not open another account."

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.other: User | None = None

    def clean(self) -> dict[str, Any]:
        from allauth.mfa.models import Authenticator

        data = super().clean() or {}
        email, password = data.get("email", ""), data.get("password", "")
        if not email or not password:
            return data
        other = User.objects.filter(email__iexact=email, is_active=True).first()
        if other is None or other.pk == self.user.pk or not other.check_password(password):
            raise forms.ValidationError(self.WRONG)
        if Authenticator.objects.filter(user=other).exists():
            raise forms.ValidationError(
                "The other account uses two-factor authentication. Turn it off there first, "
                "then merge."
            )
        self.other = other
        return data

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
    """Prove the other account and confirm the merge.

    The other account is proven by its address and password, or (`proven`) by a fresh sign-in
    through an identity provider that the merge page started; either way, an account with
    two-factor authentication must also give a code from its authenticator (or one of its
    recovery codes). Every wrong address or password says the same thing, so the form does not
    tell which addresses have accounts."""

    email = forms.EmailField(
        label="The other account's e-mail address",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label="The other account's password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    code = forms.CharField(
        label="The other account's authenticator code",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="Only if the other account uses two-factor authentication: the code its "
        "authenticator app shows now, or one of its recovery codes.",
    )
    confirm = forms.BooleanField(
        label="Move everything of the other account into this one and close the other.",
        error_messages={"required": "Tick the box to confirm."},
    )

    WRONG = "That address and password do not open another account."
    NEEDS_CODE = (
        "The other account uses two-factor authentication: enter the code its authenticator "
        "app shows now, or one of its recovery codes."
    )
    WRONG_CODE = "That code does not match the other account's authenticator or recovery codes."

    def __init__(self, *args: Any, user: User, proven: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.proven = proven
        self.other: User | None = None
        if proven is not None:
            # Proven by signing in to it: no address or password to ask.
            del self.fields["email"]
            del self.fields["password"]
            if not _has_second_factor(proven):
                del self.fields["code"]
            else:
                self.fields["code"].required = True
                self.fields["code"].help_text = (
                    "The other account uses two-factor authentication: the code its "
                    "authenticator app shows now, or one of its recovery codes."
                )
                self.fields["code"].error_messages["required"] = self.NEEDS_CODE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.proven is not None:
            other = self.proven
        else:
            email, password = data.get("email", ""), data.get("password", "")
            if not email or not password:
                return data
            found = User.objects.filter(email__iexact=email, is_active=True).first()
            if found is None or found.pk == self.user.pk or not found.check_password(password):
                raise forms.ValidationError(self.WRONG)
            other = found
        if not other.is_active or other.pk == self.user.pk:
            raise forms.ValidationError(self.WRONG)
        if _has_second_factor(other):
            code = (data.get("code") or "").strip()
            if not code:
                if "code" not in self.errors:
                    self.add_error("code", self.NEEDS_CODE)
                return data
            if self.errors:
                return data  # a code is checked (and used up) only on an otherwise good form
            if not second_factor_check(user=other, code=code):
                self.add_error("code", self.WRONG_CODE)
                return data
        self.other = other
        return data


def _has_second_factor(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exists()


def second_factor_check(*, user: User, code: str) -> bool:
    """The code is a current TOTP code or an unused recovery code of `user`'s (allauth's own
    checks: a TOTP code counts once, a recovery code is used up)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    for authenticator in Authenticator.objects.filter(user=user):
        kind = authenticator.type
        if kind == Authenticator.Type.TOTP and TOTP(authenticator).validate_code(code):
            return True
        if kind == Authenticator.Type.RECOVERY_CODES and RecoveryCodes(authenticator).validate_code(
            code
        ):
            return True
    return False

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from django import forms


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="What is this token for?",
        max_length=100,
        help_text="A name you will recognise later, such as “Laptop script” or “Calendar sync”.",
    )


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form, with wording of our own for the "remember me" box."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in on this device"

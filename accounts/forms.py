from __future__ import annotations

from typing import Any, cast

from allauth.account import forms as allauth_forms
from django import forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from accounts.models import User


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


# What brings a person who signs up without an invitation; portfolio records it as the stage
# they are in (portfolio.receivers), so their timeline starts where they are.
ARRIVAL_CHOICES = [
    ("student", "I am a medical student"),
    ("resident", "I am a resident"),
    ("fellow", "I am a fellow"),
    ("physician", "I am a practising physician"),
]
SIGNUP_STAGE_SESSION_KEY = "accounts.signup_stage"


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up, asking also for a name and what brings the person."""

    name = forms.CharField(
        max_length=150, label="Your name", help_text="As colleagues and teachers know you."
    )
    arrived_as = forms.ChoiceField(
        choices=ARRIVAL_CHOICES, label="What brings you", widget=forms.RadioSelect
    )
    where = forms.CharField(
        max_length=200,
        required=False,
        label="Where (school, program or practice)",
        help_text="Optional. For your timeline; a program that invites you adds itself.",
    )

    def custom_signup(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        person = cast(User, user)
        person.display_name = self.cleaned_data["name"].strip()
        person.save(update_fields=["display_name"])
        request.session[SIGNUP_STAGE_SESSION_KEY] = {
            "arrived_as": self.cleaned_data["arrived_as"],
            "where": self.cleaned_data["where"].strip(),
        }

from __future__ import annotations

import calendar
from typing import Any

from django import forms
from django.forms.models import model_to_dict

from frameworks.models import Framework
from programs.models import Cohort, Institution, Invitation, Program, ProgramRole, ReviewPeriod

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class ProgramSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    specialty = forms.CharField(max_length=120, required=False)
    duration_years = forms.IntegerField(min_value=1, max_value=10, label="Length (years)")
    review_months = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (6, "Semi-annual (6 months)"),
            (3, "Quarterly"),
            (4, "Every 4 months"),
            (12, "Annual"),
            (2, "Every 2 months"),
            (1, "Monthly"),
        ],
        label="Review periods",
    )
    year_start_month = forms.TypedChoiceField(
        coerce=int,
        choices=[(i, calendar.month_name[i]) for i in range(1, 13)],
        label="Training year starts in",
    )
    frameworks = forms.ModelMultipleChoiceField(
        queryset=Framework.objects.order_by("code", "-version"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Frameworks in use",
    )

    @classmethod
    def for_program(cls, program: Program, data: Any = None) -> ProgramSettingsForm:
        return cls(
            data,
            initial={
                "name": program.name,
                "specialty": program.specialty,
                "duration_years": program.duration_years,
                "review_months": program.review_months,
                "year_start_month": program.year_start_month,
                "frameworks": list(program.frameworks.all()),
            },
        )


def program_defaults() -> dict[str, Any]:
    """A new program's length, review period and training-year start, as the model sets them."""
    blank = Program()
    return {
        name: getattr(blank, name)
        for name in ("duration_years", "review_months", "year_start_month")
    }


class ProgramCreateForm(ProgramSettingsForm):
    institution = forms.ModelChoiceField(queryset=Institution.objects.order_by("name"))
    stage = forms.ChoiceField(choices=Program.Stage.choices)
    director_email = forms.EmailField(
        required=False,
        label="Program director's email",
        help_text="They get the director's role; an account is made if the address is new.",
    )
    field_order = [
        "institution",
        "name",
        "stage",
        "specialty",
        "duration_years",
        "review_months",
        "year_start_month",
        "frameworks",
        "director_email",
    ]


class CohortForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="For example: Class of 2028.")
    start_year = forms.IntegerField(min_value=1900, max_value=2200)


class _ProgramCohortMixin:
    def limit_cohorts(self, program: Program) -> None:
        field = self.fields["cohort"]  # type: ignore[attr-defined]
        field.queryset = Cohort.objects.filter(program=program)
        # The program is known: label by name, without a query per cohort for str(cohort).
        field.label_from_instance = lambda cohort: cohort.name


class EnrollmentForm(_ProgramCohortMixin, forms.Form):
    email = forms.EmailField()
    name = forms.CharField(max_length=150, required=False, help_text="Used for new accounts.")
    training_year = forms.IntegerField(min_value=1, max_value=10)
    start_date = forms.DateField(widget=DATE_INPUT)
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), required=False)


class EnrollmentEditForm(_ProgramCohortMixin, forms.Form):
    training_year = forms.IntegerField(min_value=1, max_value=10)
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), required=False)
    end_date = forms.DateField(
        widget=DATE_INPUT, required=False, help_text="Set it when the learner leaves or graduates."
    )


class RoleForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=ProgramRole.Role.choices)


class RosterForm(forms.Form):
    file = forms.FileField(label="Roster CSV file")
    invite = forms.BooleanField(
        required=False,
        initial=True,
        label="Email an invitation to everyone who has not signed in yet",
        help_text="The link takes them through sign-in or sign-up to this program.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField()
    name = forms.CharField(max_length=150, required=False, help_text="Filled in for them.")
    role = forms.ChoiceField(choices=Invitation.ROLE_CHOICES)
    training_year = forms.IntegerField(
        min_value=1, max_value=10, required=False, help_text="For learners."
    )
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), required=False)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = Cohort.objects.filter(program=program)  # type: ignore[attr-defined]


NEW_PASSWORD = forms.PasswordInput(attrs={"autocomplete": "new-password"})


class InvitationAccountForm(forms.Form):
    """What an invited person without a password gives to set up their account."""

    name = forms.CharField(max_length=150, label="Your name", help_text="As colleagues know you.")
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="The password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class PeriodForm(forms.Form):
    name = forms.CharField(max_length=120, required=False)
    start_date = forms.DateField(widget=DATE_INPUT)
    end_date = forms.DateField(widget=DATE_INPUT)
    is_year_end = forms.BooleanField(required=False, label="Closes a training year")


def period_values(period: ReviewPeriod) -> dict[str, Any]:
    """The period as `PeriodForm` and `services.review_period_update` take it."""
    return model_to_dict(period, fields=list(PeriodForm.base_fields))


class GeneratePeriodsForm(forms.Form):
    first_year = forms.IntegerField(
        min_value=1900,
        max_value=2200,
        help_text="The calendar year the first training year starts.",
    )
    years = forms.IntegerField(min_value=1, max_value=20, initial=1)

"""Forms for the case log pages. They check shapes; services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms

from caselog.models import CaseLogEntry
from portfolio.forms import DATE_INPUT


class EntryForm(forms.Form):
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    procedure = forms.TypedChoiceField(coerce=int, label="Procedure or case")
    performed_on = forms.DateField(label="Date", widget=DATE_INPUT)
    role = forms.ChoiceField(
        label="Your role", choices=CaseLogEntry.Role.choices, widget=forms.RadioSelect
    )
    supervisor = forms.TypedChoiceField(coerce=int)
    site = forms.CharField(max_length=120, required=False, help_text="Hospital, clinic or ward.")
    age_band = forms.ChoiceField(label="Patient's age band", choices=CaseLogEntry.AgeBand.choices)
    sex = forms.ChoiceField(label="Patient's sex", choices=CaseLogEntry.Sex.choices)
    notes = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="No patient names, record numbers or dates of birth.",
    )

    def __init__(
        self,
        *args: Any,
        procedures: list[tuple[int, str]],
        supervisors: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", "Choose…"), *procedures]  # type: ignore[attr-defined]
        self.fields["supervisor"].choices = [("", "Choose…"), *supervisors]  # type: ignore[attr-defined]


class ProcedureForm(forms.Form):
    code = forms.CharField(max_length=40, help_text="A code already on the list changes it.")
    name = forms.CharField(max_length=200)
    minimum = forms.IntegerField(
        min_value=0,
        max_value=10_000,
        initial=0,
        help_text="Counted: verified, performed or supervised.",
    )
    is_active = forms.BooleanField(label="Learners may log it", required=False, initial=True)


class ProcedureUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Columns: code, name, minimum, active.")

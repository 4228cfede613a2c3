"""Forms for the practice and CPD pages. They check shapes; services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from frameworks.models import Competency, Framework
from portfolio.forms import DATE_INPUT, CompetencyChoiceField, EvidenceChoiceField
from portfolio.models import Evidence


class FrameworkChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Framework) -> str:
        return f"{obj.name} ({obj.version})"


class PracticeForm(forms.Form):
    specialty = forms.CharField(
        max_length=120, required=False, help_text="For example: General internal medicine."
    )
    start_date = forms.DateField(
        label="In practice since",
        widget=DATE_INPUT,
        required=False,
        help_text="Leave empty for today.",
    )
    frameworks = FrameworkChoiceField(
        queryset=Framework.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Frameworks to follow",
        help_text="Check-ins, goals and your targets use these.",
    )

    def __init__(self, *args: Any, frameworks: QuerySet[Framework], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["frameworks"].queryset = frameworks  # type: ignore[attr-defined]


class ActivityForm(forms.Form):
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    occurred_on = forms.DateField(label="Date", widget=DATE_INPUT)
    title = forms.CharField(max_length=200)
    provider = forms.CharField(max_length=200, required=False)
    credit_type = forms.ChoiceField(label="Credit type")
    hours = forms.DecimalField(label="Credits (hours)", min_value=0, max_digits=6, decimal_places=2)
    notes = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    competencies = CompetencyChoiceField(
        queryset=Competency.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    evidence = EvidenceChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="A certificate or other record of the activity.",
    )

    def __init__(
        self,
        *args: Any,
        credit_types: list[tuple[str, str]],
        competencies: QuerySet[Competency],
        evidence: QuerySet[Evidence],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["credit_type"].choices = credit_types  # type: ignore[attr-defined]
        self.fields["competencies"].queryset = competencies  # type: ignore[attr-defined]
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]


class CycleForm(forms.Form):
    name = forms.CharField(
        max_length=120, label="Licence or certification", help_text="For example: State licence."
    )
    start_date = forms.DateField(label="Cycle starts", widget=DATE_INPUT)
    length_months = forms.IntegerField(
        label="Length (months)", min_value=1, max_value=120, initial=24
    )
    credits_required = forms.DecimalField(
        label="Credits required", min_value=0, max_digits=6, decimal_places=2
    )
    category_1_required = forms.DecimalField(
        label="Of which AMA PRA Category 1",
        min_value=0,
        max_digits=6,
        decimal_places=2,
        initial=0,
    )

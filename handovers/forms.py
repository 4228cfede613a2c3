from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from portfolio.forms import EvidenceChoiceField
from portfolio.models import Evidence
from programs.models import Program


class ProgramChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Program) -> str:
        return f"{obj.name} · {obj.institution.name}"


class HandoverForm(forms.Form):
    program = ProgramChoiceField(queryset=Program.objects.none(), label="Program you are moving to")
    include_levels = forms.BooleanField(
        required=False, initial=True, label="My entrustment and milestone levels (latest)"
    )
    include_goals = forms.BooleanField(
        required=False, initial=True, label="My learning plan (goals)"
    )
    evidence = EvidenceChoiceField(
        queryset=Evidence.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Evidence to show",
        help_text="Titles, dates and text; files stay with you.",
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="A note to the program",
    )

    def __init__(
        self, *args: Any, programs: QuerySet[Program], evidence: QuerySet[Evidence], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]

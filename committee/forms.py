"""Forms of committee review: a consensus level, a sign-off, the learner's response."""

from __future__ import annotations

from django import forms


class ConsensusForm(forms.Form):
    competency = forms.IntegerField(widget=forms.HiddenInput)
    level = forms.DecimalField(max_digits=3, decimal_places=1)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    amendment_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )


class SignOffForm(forms.Form):
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        label="Summary for the learner",
    )


class ResponseForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, label="Your response"
    )


class EntrustmentForm(forms.Form):
    """One entrustment decision, as the committee records it (rules in committee.entrustment)."""

    competency = forms.IntegerField(widget=forms.HiddenInput)
    level = forms.CharField(max_length=10, label="Entrusted at level")
    decided_on = forms.DateField(label="Decided on", widget=forms.DateInput(attrs={"type": "date"}))
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label="What it rests on"
    )
    conditions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        label="Conditions (optional)",
    )
    evidence = forms.TypedMultipleChoiceField(
        coerce=int, required=False, choices=(), label="Assessments it rests on"
    )
    evidence_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        label="Other evidence (optional)",
    )

    def __init__(self, *args: object, evidence_ids: list[int] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["evidence"].choices = [(pk, str(pk)) for pk in evidence_ids or []]  # type: ignore[attr-defined]

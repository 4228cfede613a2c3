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

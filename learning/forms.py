"""Forms for the learning pages: they check shapes; services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat

from learning.fhir import max_bytes
from learning.models import LearningResource
from learning.services import FeedbackAction


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    kind = forms.ChoiceField(
        required=False, choices=[("", "Any kind"), *LearningResource.Kind.choices]
    )
    competency = forms.CharField(
        required=False, max_length=30, help_text="A competency code, e.g. PC3 or EPA2."
    )
    code = forms.CharField(
        label="Clinical code",
        required=False,
        max_length=80,
        help_text="ICD-10-CM (E11.9) or SNOMED CT (snomed:44054006).",
    )


class FeedbackForm(forms.Form):
    action = forms.ChoiceField(choices=FeedbackAction.choices)
    reason = forms.CharField(required=False, max_length=500)
    next = forms.CharField(required=False, max_length=300)


class VisitUploadForm(forms.Form):
    practitioner_id = forms.CharField(
        label="Your Practitioner id in the EHR",
        max_length=64,
        help_text="Only visits where this Practitioner takes part are kept, e.g. pr-1234.",
    )
    bundle = forms.FileField(
        label="FHIR R4 Bundle (JSON file)",
        required=False,
        help_text="Appointment and/or Encounter resources, with their Conditions.",
    )
    text = forms.CharField(
        label="…or paste the Bundle",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("bundle")
        if upload is None and not data.get("text", "").strip():
            raise forms.ValidationError("Choose a file or paste a Bundle.")
        if upload is not None and upload.size > max_bytes():
            raise forms.ValidationError(f"The file is larger than {filesizeformat(max_bytes())}.")
        return data

    def content(self) -> bytes:
        upload = self.cleaned_data.get("bundle")
        if upload is not None:
            return bytes(upload.read())
        return str(self.cleaned_data["text"]).encode()

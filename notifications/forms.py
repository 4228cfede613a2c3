"""The notification settings form: one choice of frequency per kind."""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.models import SUMMARY_KINDS, Frequency, Kind


class PreferencesForm(forms.Form):
    def __init__(self, *args: Any, current: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            choices = Frequency.choices
            if kind in SUMMARY_KINDS:
                choices = [
                    (Frequency.IMMEDIATELY.value, "Email it to me"),
                    (Frequency.OFF.value, "Do not email it"),
                ]
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=choices,
                initial=current.get(kind.value, Frequency.IMMEDIATELY),
                widget=forms.RadioSelect,
            )

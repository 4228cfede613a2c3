"""The public credential check's form: the pasted file must be JSON."""

from __future__ import annotations

import json
from typing import Any

from django import forms


class VerifyForm(forms.Form):
    credential = forms.CharField(
        label="Credential (JSON)",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        max_length=200_000,
        help_text="Paste the whole file a learner shared with you.",
    )

    def clean_credential(self) -> Any:
        try:
            return json.loads(self.cleaned_data["credential"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not JSON (line {error.lineno}, column {error.colno}: {error.msg})."
            ) from error

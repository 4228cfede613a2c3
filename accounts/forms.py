from __future__ import annotations

from django import forms


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label="What is this token for?",
        max_length=100,
        help_text="A name you will recognise later, such as “Laptop script” or “Calendar sync”.",
    )

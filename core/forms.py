"""Form helpers shared by every app's pages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import ngettext_lazy

# Text over a limit is refused, never cut, and the refusal says both numbers. Every form field
# and model field with a max_length checks through this validator, so its message is set once
# (CoreConfig.ready) rather than in each of a hundred forms.
TOO_LONG = ngettext_lazy(
    "At most %(limit_value)d character (you wrote %(show_value)d).",
    "At most %(limit_value)d characters (you wrote %(show_value)d).",
    "limit_value",
)


def too_long_message_install() -> None:
    MaxLengthValidator.message = TOO_LONG


def text_within(value: str, *, limit: int, field: str) -> str:
    """`value`, stripped, or a ValidationError on `field` saying the limit and the length."""
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(
            {field: [f"At most {limit:,} characters (you wrote {len(value):,})."]}
        )
    return value


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, or on top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)

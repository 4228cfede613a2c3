from __future__ import annotations

from typing import Any

from django import forms

from equity.models import Characteristic, CharacteristicCategory

NOT_RECORDED = ""
PREFER_NOT = "__prefer_not_to_say__"


class CharacteristicsForm(forms.Form):
    """One choice per category the learner's institutions ask about: not recorded (the
    default), one of the options, or prefer not to say."""

    def __init__(
        self,
        *args: Any,
        categories: list[CharacteristicCategory],
        answers: dict[int, Characteristic],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.categories = categories
        for category in categories:
            choices = [(NOT_RECORDED, "Not recorded")]
            choices += [(o.key, o.label) for o in category.options.all()]
            choices.append((PREFER_NOT, "Prefer not to say"))
            answer = answers.get(category.pk)
            initial = NOT_RECORDED
            if answer is not None:
                initial = PREFER_NOT if answer.prefer_not_to_say else answer.option.key  # type: ignore[union-attr]
            self.fields[category.key] = forms.ChoiceField(
                label=category.name,
                help_text=category.description,
                choices=choices,
                required=False,
                initial=initial,
            )

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from groups.models import Membership
from portfolio.models import Evidence


class GroupForm(forms.Form):
    name = forms.CharField(max_length=120)
    purpose = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the group is for, in a line or two.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address of the person to invite")
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        help_text="Invite a coach as a guest: they read and answer, but do not invite.",
    )


class PostForm(forms.Form):
    body = forms.CharField(
        label="Post to the group",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown: **bold**, *italic*, lists and links.",
    )
    client_token = forms.UUIDField(required=False, widget=forms.HiddenInput)


def _evidence_choices(evidence: QuerySet[Evidence]) -> list[tuple[str, str]]:
    return [("", "—")] + [
        (str(e.public_id), f"{e.title} ({e.get_kind_display().lower()}, {e.occurred_on:%d %b %Y})")
        for e in evidence
    ]


class ShareForm(forms.Form):
    evidence = forms.ChoiceField(
        label="Share a piece of your evidence or a reflection",
        help_text="Only what you choose leaves your portfolio; leaving the group withdraws it.",
    )

    def __init__(self, *args: Any, evidence: QuerySet[Evidence], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["evidence"]).choices = _evidence_choices(evidence)


class GroupGoalForm(forms.Form):
    title = forms.CharField(max_length=200, label="Goal for the group")
    measure = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How will each of you know you got there?",
    )


def _in_three_months() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=90)


class AdoptForm(forms.Form):
    target_date = forms.DateField(
        initial=_in_three_months, widget=forms.DateInput(attrs={"type": "date"})
    )
    show_progress = forms.BooleanField(required=False, label="Show my progress on it to the group")


class FeedbackRequestForm(forms.Form):
    evidence = forms.ChoiceField(
        required=False,
        label="On a piece of your evidence",
        help_text="It is shared to the group with the request.",
    )
    topic = forms.CharField(
        required=False,
        max_length=200,
        label="Or on a presentation (its title)",
    )
    question = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What would you like feedback on?",
    )

    def __init__(self, *args: Any, evidence: QuerySet[Evidence], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["evidence"]).choices = _evidence_choices(evidence)


class AnswerForm(forms.Form):
    went_well = forms.CharField(
        label="What worked well", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    to_improve = forms.CharField(
        label="One thing to change next time",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    clarity = forms.TypedChoiceField(
        label="How clear was it? (1 = hard to follow, 5 = very clear)",
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )

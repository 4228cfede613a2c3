from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.models import User
from coaching.models import BODY_MAX, NOTES_MAX
from coaching.services import DEFAULT_SHARE, MESSAGE_MAX, NUDGE_NOTE_MAX, NUDGE_REMINDERS
from portfolio.models import Scope
from programs.models import Program


class ShareScopesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", Scope.choices)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class InviteForm(forms.Form):
    coach_email = forms.EmailField(
        label="Their email address",
        help_text="The person must already use Continuum.",
    )
    share_scopes = ShareScopesField(
        label="Share with them once they accept",
        initial=list(DEFAULT_SHARE),
        help_text="Proposed: your goals and check-ins. Reflections stay private unless you "
        "tick them. You can change this any time on your sharing page.",
    )
    message = forms.CharField(
        label="A note to them (optional)",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcceptForm(forms.Form):
    share_scopes = ShareScopesField(label="What your coach may see")


class AssignForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none())
    learner = forms.ModelChoiceField(queryset=User.objects.none())
    coach = forms.ModelChoiceField(queryset=User.objects.none())
    message = forms.CharField(
        label="A note to the learner (optional)",
        required=False,
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        programs: Any,
        learners: Any,
        coaches: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        self.fields["learner"].queryset = learners  # type: ignore[attr-defined]
        self.fields["coach"].queryset = coaches  # type: ignore[attr-defined]


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown: **bold**, *italic*, lists, links. No images or HTML.",
    )


class ReplyForm(CommentForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Your reply"


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(label="Minutes", min_value=5, max_value=480, initial=30)
    location = forms.CharField(label="Where (room or video link)", required=False, max_length=200)


class MeetingNotesForm(forms.Form):
    agenda = forms.CharField(
        required=False, max_length=NOTES_MAX, widget=forms.Textarea(attrs={"rows": 8})
    )
    shared_notes = forms.CharField(
        label="Notes shared with the learner",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    private_notes = forms.CharField(
        label="Private notes (only you see these)",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    held = forms.BooleanField(label="The meeting took place", required=False)


class ActionItemForm(forms.Form):
    title = forms.CharField(label="Action", max_length=200)
    detail = forms.CharField(
        label="How will we know it is done?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    target_date = forms.DateField(
        label="By", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    goal = forms.TypedChoiceField(
        label="Goal", required=False, coerce=int, empty_value=None, choices=[]
    )

    def __init__(self, *args: Any, goals: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = [  # type: ignore[attr-defined]
            ("", "A new goal"),
            *[(pk, f"Update: {title}") for pk, title in goals],
        ]


class NudgeForm(forms.Form):
    """Remind the coachees ticked on the overview of one thing. The coachees' checkboxes
    are the overview's own list (`coachees`: relationship public ids)."""

    coachees = forms.MultipleChoiceField(
        label="Coachees",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one coachee.",
            "invalid_choice": "Tick among your active coachees.",
        },
    )
    reminder = forms.ChoiceField(
        label="Remind them to",
        choices=[(key, label) for key, (label, _, _) in NUDGE_REMINDERS.items()],
    )
    note = forms.CharField(
        label="A short note (optional)",
        required=False,
        max_length=NUDGE_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, relationships: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["coachees"]).choices = relationships

"""Forms for observation pages. They parse input; the rules live in
`assessments.services.observations`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import User
from assessments.models import AssessmentForm, ObservationSetting, RaterType
from assessments.services.observations import (
    CASE_TYPE_MAX,
    DECLINE_REASON_MAX,
    REASON_MAX,
    REQUEST_NOTE_MAX,
    RESPONSE_MAX,
)
from frameworks.models import Competency, Framework


class DateInput(forms.DateInput):
    input_type = "date"


def _person_label(user: User) -> str:
    return user.name


class AssessorChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


def _form_label(form: AssessmentForm) -> str:
    scale = f" · {form.scale.name}" if form.scale else ""
    return f"{form.name} · {form.get_rates_display()}{scale}"


class ObservationRequestForm(forms.Form):
    """What a learner fills in to ask for an observation (one screen)."""

    assessor = AssessorChoiceField(
        queryset=User.objects.none(), label="Who should observe you?", empty_label="Choose…"
    )
    # EPAs and sub-competencies are equal choices: with both on offer, this says which one the
    # learner means, and what was picked under the other is set aside.
    observe = forms.ChoiceField(
        label="What should they observe?",
        required=False,
        choices=[("epa", "An EPA"), ("competencies", "Sub-competencies (milestones)")],
        widget=forms.RadioSelect,
    )
    epa = forms.TypedChoiceField(
        label="Which EPA?", required=False, coerce=int, empty_value=None, choices=()
    )
    competencies = forms.TypedMultipleChoiceField(
        label="Which sub-competencies?",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    setting = forms.ChoiceField(
        label="Setting", required=False, choices=[("", "—"), *ObservationSetting.choices]
    )
    case_type = forms.CharField(
        label="Case type",
        required=False,
        max_length=CASE_TYPE_MAX,
        help_text="For example: new chest pain, discharge talk. No patient identifiers.",
    )
    encounter_on = forms.DateField(label="Date", required=False, widget=DateInput)
    due_on = forms.DateField(
        label="Answer by (optional)",
        required=False,
        widget=DateInput,
        help_text="Without one, a reminder goes out after two weeks.",
    )
    note = forms.CharField(
        label="Note to the assessor (optional)",
        required=False,
        max_length=REQUEST_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)
    form = forms.TypedChoiceField(
        label="Form (optional)",
        required=False,
        coerce=int,
        empty_value=None,
        choices=(),
        help_text="Your program's forms; without one, the usual form for what you chose.",
    )

    def __init__(
        self,
        *args: Any,
        learner: User,
        assessors: Any,
        frameworks: list[Framework],
        program_forms: Sequence[AssessmentForm] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {"client_token": uuid.uuid4(), "encounter_on": timezone.localdate()},
        )
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = assessors  # type: ignore[attr-defined]
        epa_groups = []
        milestone_groups = []
        for framework in frameworks:
            items = [(c.pk, f"{c.code} · {c.title}") for c in framework.ratable_items]  # type: ignore[attr-defined]
            if framework.kind == Framework.Kind.EPA:
                epa_groups.append((framework.name, items))
            else:
                milestone_groups.append((framework.name, items))
        self.fields["epa"].choices = [("", "Choose an EPA…"), *epa_groups]  # type: ignore[attr-defined]
        self.fields["competencies"].choices = milestone_groups  # type: ignore[attr-defined]
        self.fields["form"].choices = [  # type: ignore[attr-defined]
            ("", "The usual form"),
            *[
                (
                    f.pk,
                    f"{f.name} · {f.get_rates_display()}"
                    + (f" · {f.scale.name}" if f.scale else ""),
                )
                for f in program_forms
            ],
        ]
        self.has_forms = bool(program_forms)
        self.has_epas = bool(epa_groups)
        self.has_milestones = bool(milestone_groups)
        # The choice shown first: what was sent, else EPAs where there are any.
        if self.is_bound:
            sent = self.data.get("observe") or (
                "competencies" if self.data.get("competencies") else "epa"
            )
        else:
            sent = "epa" if self.has_epas else "competencies"
        self.observing = sent if sent in ("epa", "competencies") else "epa"
        self.fields["observe"].initial = self.observing

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("observe") == "epa":
            data["competencies"] = []
        elif data.get("observe") == "competencies":
            data["epa"] = None
        if data.get("epa") and data.get("competencies"):
            raise forms.ValidationError("Ask about an EPA or sub-competencies, not both.")
        if not data.get("epa") and not data.get("competencies"):
            raise forms.ValidationError("Choose an EPA or at least one sub-competency.")
        return data

    def competency_ids(self) -> list[int]:
        epa = self.cleaned_data.get("epa")
        return [epa] if epa else list(self.cleaned_data.get("competencies") or [])


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why not (the learner sees this)",
        max_length=DECLINE_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResponseForm(forms.Form):
    text = forms.CharField(
        label="Your response or reflection",
        max_length=RESPONSE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The assessor and your program's committee can read it.",
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)


class ReviseForm(forms.Form):
    """Correct (within 24 h) or amend (after, with a reason) an assessment you wrote."""

    level = forms.ChoiceField(label="Level", choices=())
    went_well = forms.CharField(
        label="What went well",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_step = forms.CharField(
        label="One thing to work on next",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    observed_on = forms.DateField(label="Date observed", widget=DateInput)
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, level_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = level_choices  # type: ignore[attr-defined]


class StartObservationForm(forms.Form):
    """Step one of an unasked observation: whom and what (GET, so the form URL is shareable)."""

    learner = AssessorChoiceField(
        queryset=User.objects.none(), label="Learner", empty_label="Choose…"
    )

    def __init__(self, *args: Any, learners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = learners  # type: ignore[attr-defined]


class AssessmentFormBuildForm(forms.Form):
    """A program builds an observation form (the rules live in `assessments.services.forms`).

    Levels of a program's own scale are lines of "value | label | anchor"; a mapping to
    milestone levels is lines of "scale value = milestone level"."""

    name = forms.CharField(label="Name of the form", max_length=120)
    rates = forms.ChoiceField(label="It rates", choices=AssessmentForm.Rates.choices)
    scale = forms.ChoiceField(label="Scale", choices=())
    scale_name = forms.CharField(label="Name of your scale", required=False, max_length=120)
    levels = forms.CharField(
        label="Levels of your scale",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One level a line: value | label | what it looks like. For example: "
        "2 | Needed prompting | Did the task with a few cues from me.",
    )
    competencies = forms.TypedMultipleChoiceField(
        label="Only these items (optional)",
        required=False,
        coerce=int,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Without a choice, the form rates any item of its kind.",
    )
    went_well_prompt = forms.CharField(
        label="First narrative prompt", max_length=200, initial="What went well"
    )
    next_step_prompt = forms.CharField(
        label="Second narrative prompt", max_length=200, initial="One thing to work on next"
    )
    optional_prompts = forms.CharField(
        label="Optional questions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, at most five. The assessor may leave them empty.",
    )
    milestone_mapping = forms.CharField(
        label="Count as milestone levels (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line: scale value = milestone level (for example 3 = 2.5). Without "
        "a mapping, ratings on another scale stay out of milestone summaries, the heatmap and "
        "flags.",
    )

    def __init__(
        self,
        *args: Any,
        scale_choices: list[tuple[str, str]],
        items: list[tuple[str, list[tuple[int, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scale"].choices = scale_choices  # type: ignore[attr-defined]
        self.fields["competencies"].choices = items  # type: ignore[attr-defined]

    def level_lines(self) -> list[tuple[str, str, str]]:
        rows = []
        for line in self.cleaned_data.get("levels", "").splitlines():
            if line.strip():
                parts = [part.strip() for part in line.split("|")]
                rows.append((parts[0], parts[1] if len(parts) > 1 else "", " | ".join(parts[2:])))
        return rows

    def optional_lines(self) -> list[str]:
        return [p.strip() for p in self.cleaned_data.get("optional_prompts", "").splitlines()]

    def mapping_lines(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for line in self.cleaned_data.get("milestone_mapping", "").splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                mapping[key.strip()] = value.strip()
        return mapping


# --- Rotation schedules ----------------------------------------------------------------------


class RotationDefineForm(forms.Form):
    """A rotation of the program: name, the items its evaluation rates, the form it uses."""

    name = forms.CharField(max_length=120, label="Rotation name")
    competencies = forms.ModelMultipleChoiceField(
        queryset=Competency.objects.none(),
        label="What the evaluation rates",
        help_text="One EPA, or up to six sub-competencies of one framework.",
    )
    form = forms.ModelChoiceField(
        queryset=AssessmentForm.objects.none(),
        required=False,
        label="Form",
        help_text="Empty: the shipped form of the items' kind.",
    )
    due_days = forms.IntegerField(
        min_value=1, max_value=90, initial=14, label="Days after the rotation to answer"
    )

    def __init__(self, *args: Any, program_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["competencies"])  # type: ignore[type-arg]
        field.queryset = (
            Competency.objects.ratable()
            .filter(framework__programs__pk=program_id)
            .select_related("framework")
            .order_by("framework__name", "order", "id")
        )
        form_field = cast(forms.ModelChoiceField, self.fields["form"])  # type: ignore[type-arg]
        form_field.queryset = AssessmentForm.objects.available_in(program_id)


class ScheduleUploadForm(forms.Form):
    file = forms.FileField(label="Block schedule CSV file")


class ScheduledRotationForm(forms.Form):
    """One block entered by hand; checked by the same rules as a CSV row."""

    learner_email = forms.EmailField(label="Learner's email")
    rotation_name = forms.CharField(max_length=120, label="Rotation")
    site = forms.CharField(max_length=120, required=False, label="Site")
    start_on = forms.DateField(widget=DateInput(), label="First day")
    end_on = forms.DateField(widget=DateInput(), label="Last day")
    supervisor_email = forms.EmailField(label="Supervising faculty's email")


class AssessNowForm(ObservationRequestForm):
    """What a learner picks for an "assess me now" code: the request form without the
    assessor (whoever scans it), the dates and the note."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("assessors", User.objects.none())
        super().__init__(*args, **kwargs)
        for name in ("assessor", "encounter_on", "due_on", "note"):
            del self.fields[name]


class FeedbackAskForm(forms.Form):
    """Ask one rater for feedback by one-time link."""

    rater_type = forms.ChoiceField(label="Who will answer?", choices=())
    anonymous = forms.BooleanField(
        label="Anonymous (their name is not shown to the learner)", required=False, initial=True
    )
    rater_name = forms.CharField(
        label="Their name (named forms only)", required=False, max_length=120
    )
    rater_email = forms.EmailField(
        label="Their email (optional; never for patients)",
        required=False,
        help_text="We email them the link. Without one, hand them the link or its QR code.",
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"client_token": uuid.uuid4(), "anonymous": True})
        super().__init__(*args, **kwargs)
        self.fields["rater_type"].choices = [("", "Choose…"), *RaterType.choices]  # type: ignore[attr-defined]


class AssessNowEmailForm(forms.Form):
    email = forms.EmailField(label="Your work email", max_length=254)


class FeedbackProgramAskForm(FeedbackAskForm):
    """A director or coordinator asks a rater about one of the program's learners."""

    learner = AssessorChoiceField(
        queryset=User.objects.none(), label="About which learner?", empty_label="Choose…"
    )

    field_order = ["learner", "rater_type", "anonymous", "rater_name", "rater_email"]

    def __init__(self, *args: Any, learners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = learners  # type: ignore[attr-defined]

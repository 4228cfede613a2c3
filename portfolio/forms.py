"""Forms for the learner's pages. They check shapes; services check the rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat

from frameworks.models import Competency
from portfolio.models import Evidence, Goal, LearnerProfile, Scope
from portfolio.services import CheckInItem
from programs.models import Program

DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class CompetencyChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Competency) -> str:
        return f"{obj.code} · {obj.title}"


class EvidenceChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Evidence) -> str:
        return f"{obj.title} ({obj.get_kind_display()}, {obj.occurred_on:%d %b %Y})"


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(choices=Evidence.Kind.choices)
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Details",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    occurred_on = forms.DateField(label="Date", widget=DATE_INPUT)
    competencies = CompetencyChoiceField(
        queryset=Competency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Which competencies does this show?",
    )
    file = forms.FileField(
        required=False,
        help_text=(
            f"PDF, image, office document or text, up to "
            f"{filesizeformat(settings.UPLOAD_MAX_BYTES)}."
        ),
    )
    credit_hours = forms.DecimalField(
        required=False, min_value=0, max_digits=6, decimal_places=2, label="Credit hours"
    )
    external_source = forms.CharField(
        required=False, max_length=200, label="Source system (for external records)"
    )
    external_id = forms.CharField(required=False, max_length=300, label="Record identifier")

    # Fields that only some kinds use; the page shows them for those kinds (portfolio-forms.js).
    SHOW_FOR = {
        "credit_hours": "certificate",
        "external_source": "external",
        "external_id": "external",
        "file": "case_log procedure_log document certificate external",
    }

    def __init__(
        self,
        *args: Any,
        competencies: QuerySet[Competency],
        reflection: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competencies"].queryset = competencies  # type: ignore[attr-defined]
        # A hint for the file picker only; the content is what gets checked (uploads.py).
        self.fields["file"].widget.attrs["accept"] = (
            ".pdf,.png,.jpg,.jpeg,.gif,.webp,.heic,.docx,.xlsx,.pptx,.odt,.txt,.csv,.md"
        )
        for name, kinds in self.SHOW_FOR.items():
            self.fields[name].show_for = kinds  # type: ignore[attr-defined]
            self.fields[name].shown_by = "kind"  # type: ignore[attr-defined]
        if reflection:
            # A reflection is the learner's own words: no kind to pick, no file, no credit.
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["body"].label = "Your reflection"
            self.fields["body"].widget.attrs["rows"] = 10
            for name in self.SHOW_FOR:
                del self.fields[name]


class GoalForm(forms.Form):
    title = forms.CharField(
        label="What will you be able to do?",
        max_length=200,
        help_text="Specific: one thing, in your own words.",
    )
    measure = forms.CharField(
        label="How will you know you got there?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Measurable: what someone could observe or count.",
    )
    plan = forms.CharField(
        label="How will you get there?",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Achievable: steps, time, and the support you need.",
    )
    target_date = forms.DateField(
        label="By when?", widget=DATE_INPUT, help_text="Time-bound: a date to check back."
    )
    status = forms.ChoiceField(choices=Goal.Status.choices)
    competencies = CompetencyChoiceField(
        queryset=Competency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Relevant: which competencies does it move?",
    )
    evidence = EvidenceChoiceField(
        queryset=Evidence.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        competencies: QuerySet[Competency],
        evidence: QuerySet[Evidence],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competencies"].queryset = competencies  # type: ignore[attr-defined]
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]


class ProgressNoteForm(forms.Form):
    text = forms.CharField(
        label="Progress note", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    noted_on = forms.DateField(label="Date", widget=DATE_INPUT)


class ShareGrantForm(forms.Form):
    AUDIENCES = (("person", "A person (coach, mentor, advisor)"), ("committee", "A committee"))

    audience = forms.ChoiceField(
        choices=AUDIENCES, widget=forms.RadioSelect, initial="person", label="Share with"
    )
    grantee_email = forms.EmailField(
        required=False, label="Their email address", help_text="They must have an account."
    )
    program = forms.ModelChoiceField(
        queryset=Program.objects.none(),
        required=False,
        label="Program",
        help_text="Its director, coordinators and competency committee will see what you share.",
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, label="What to share"
    )
    expires_on = forms.DateField(
        required=False,
        label="Until (optional)",
        widget=DATE_INPUT,
        help_text="Access ends after this day. You can revoke it any time before.",
    )
    note = forms.CharField(required=False, max_length=300, label="Note for yourself")

    def __init__(self, *args: Any, programs: QuerySet[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs  # type: ignore[attr-defined]
        for name, audience in (("grantee_email", "person"), ("program", "committee")):
            self.fields[name].show_for = audience  # type: ignore[attr-defined]
            self.fields[name].shown_by = "audience"  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("audience") == "person" and not data.get("grantee_email"):
            self.add_error("grantee_email", "Enter the email address of the person.")
        if data.get("audience") == "committee" and not data.get("program"):
            self.add_error("program", "Choose the program whose committee may see this.")
        return data


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LearnerProfile
        fields = ["headline", "about"]
        widgets = {"about": forms.Textarea(attrs={"rows": 4})}


class ImportForm(forms.Form):
    archive = forms.FileField(
        label="Portfolio archive (.zip)",
        help_text="A file exported from Continuum, here or at another institution.",
    )


class IdListField(forms.Field):
    """Several ids under one name (checkboxes): whole numbers, or an error."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        if not all(str(v).isdigit() for v in values):
            raise forms.ValidationError("Choose items from the list.")
        return [int(v) for v in values]


class CheckInForm(forms.Form):
    """A check-in page: a level and a note per item, named `level-<id>` and `note-<id>` so the
    page lays items out as it likes; evidence ids per item (`evidence-<id>`); and the page's
    one-time token. Whether a level is on the scale is the service's rule."""

    client_token = forms.UUIDField(error_messages={"invalid": "Send a UUID."})

    def __init__(self, *args: Any, competency_ids: Sequence[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.competency_ids = list(competency_ids)
        for pk in self.competency_ids:
            self.fields[f"level-{pk}"] = forms.CharField(required=False, max_length=10)
            self.fields[f"note-{pk}"] = forms.CharField(required=False, strip=False)
            self.fields[f"evidence-{pk}"] = IdListField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for pk in self.competency_ids:
            if not cleaned.get(f"level-{pk}") and cleaned.get(f"note-{pk}", "").strip():
                self.add_error(f"note-{pk}", "Pick a level to save this note.")
        return cleaned

    def page_errors(self) -> list[str]:
        """Problems that belong to no item (the token)."""
        return [str(m) for m in (*self.non_field_errors(), *self.errors.get("client_token", []))]

    def item_errors(self) -> dict[int, list[str]]:
        """Each item's problems, by competency id, to show next to it."""
        found: dict[int, list[str]] = {}
        for pk in self.competency_ids:
            for name in (f"level-{pk}", f"note-{pk}", f"evidence-{pk}"):
                found.setdefault(pk, []).extend(str(m) for m in self.errors.get(name, []))
        return {pk: messages for pk, messages in found.items() if messages}

    def items(self) -> list[CheckInItem]:
        """The rated items, in page order (items without a level are left out)."""
        data = self.cleaned_data
        return [
            CheckInItem(pk, data[f"level-{pk}"], data[f"note-{pk}"], data[f"evidence-{pk}"])
            for pk in self.competency_ids
            if data[f"level-{pk}"]
        ]

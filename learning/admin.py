"""Admin: the catalogue (with an "Import catalogue" page), code pairs and FHIR sources.

Learners' feedback and upcoming visits are not in the admin: they are the learner's own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from learning.catalogue import CatalogueError
from learning.models import CodePair, FhirSource, LearningResource, PractitionerLink, ResourceCode
from learning.services import catalogue_import

IMPORT_MAX_BYTES = 5 * 1024 * 1024


class ResourceCodeInline(admin.TabularInline):
    model = ResourceCode
    extra = 1
    fields = ("system", "code", "display")


class CatalogueImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or JSON in the layout described in docs/learning.md.")


@admin.register(LearningResource)
class LearningResourceAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "duration_minutes", "cme_credit", "reviewed_on", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("key", "title", "keywords", "codes__code", "competencies__code")
    filter_horizontal = ("competencies",)
    inlines = (ResourceCodeInline,)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "learning/admin/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="learning_learningresource_import",
            )
        ]
        return extra + super().get_urls()  # type: ignore[operator]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a catalogue file; the same service as `manage.py load_learning_catalogue`."""
        if not request.user.has_perm("learning.add_learningresource"):
            raise PermissionDenied
        form = CatalogueImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > IMPORT_MAX_BYTES:
                form.add_error("file", "The file is larger than 5 MB.")
            else:
                try:
                    result = catalogue_import(
                        content=upload.read(),
                        filename=upload.name or "",
                        by=request.user,  # type: ignore[arg-type]
                    )
                except CatalogueError as exc:
                    errors = [str(error) for error in exc.errors]
                    form.add_error("file", "Nothing was imported: fix the problems listed below.")
                else:
                    self.message_user(request, f"Catalogue imported: {result}.")
                    return HttpResponseRedirect(
                        reverse("admin:learning_learningresource_changelist")
                    )
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Import catalogue",
            "opts": self.model._meta,
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "learning/admin/import.html", context)


@admin.register(CodePair)
class CodePairAdmin(admin.ModelAdmin):
    list_display = ("snomed_code", "icd10_code", "display")
    search_fields = ("snomed_code", "icd10_code", "display")


class FhirSourceForm(forms.ModelForm):  # type: ignore[type-arg]
    base_url = forms.URLField(
        max_length=400, assume_scheme="https", help_text="FHIR R4 base, e.g. https://ehr/fhir/r4"
    )
    # The token is a secret: never shown again; leave empty to keep the current one.
    new_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Bearer token. Leave empty to keep the current one.",
    )

    class Meta:
        model = FhirSource
        fields = ("name", "institution", "learner", "base_url", "is_active")

    def save(self, commit: bool = True) -> FhirSource:
        if self.cleaned_data.get("new_token"):
            self.instance.token = self.cleaned_data["new_token"]
        return super().save(commit=commit)


@admin.register(FhirSource)
class FhirSourceAdmin(admin.ModelAdmin):
    form = FhirSourceForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "institution", "learner", "base_url", "is_active", "last_pulled_at")
    readonly_fields = ("last_pulled_at", "last_error")
    raw_id_fields = ("learner",)


@admin.register(PractitionerLink)
class PractitionerLinkAdmin(admin.ModelAdmin):
    list_display = ("learner", "source", "practitioner_id")
    raw_id_fields = ("learner",)
    list_select_related = ("learner", "source")

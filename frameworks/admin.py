"""Admin: frameworks are read-only reference data; changes come in as new versions through the
importer (an "Import framework" page), and any version can be exported."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from frameworks import exporters
from frameworks.importers import FORMATS, Format, FrameworkImportError
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from frameworks.services import framework_import


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Stored versions never change: ratings point at them and re-imports compare with them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScaleLevelInline(ReadOnlyInline):
    model = ScaleLevel
    fields = ("value", "label", "anchor")


@admin.register(RatingScale)
class RatingScaleAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "level_count", "framework_count")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    inlines = (ScaleLevelInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RatingScale]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_levels=Count("levels", distinct=True),
                n_frameworks=Count("frameworks", distinct=True),
            )
        )

    @admin.display(description="Levels", ordering="n_levels")
    def level_count(self, obj: Any) -> int:
        return int(obj.n_levels)

    @admin.display(description="Frameworks", ordering="n_frameworks")
    def framework_count(self, obj: Any) -> int:
        return int(obj.n_frameworks)


class CompetencyInline(ReadOnlyInline):
    model = Competency
    fk_name = "framework"
    fields = ("code", "title", "parent", "order")
    ordering = ("order",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Competency]:
        return super().get_queryset(request).select_related("parent")


class FrameworkImportForm(forms.Form):
    file = forms.FileField(
        help_text="A framework in Continuum's JSON schema or CSV layout (see docs/frameworks.md)."
    )
    format = forms.ChoiceField(
        choices=[("", "From the file name"), *((f, f.upper()) for f in FORMATS)],
        required=False,
    )


def _download(frameworks: list[Framework], fmt: Format) -> HttpResponse:
    """One framework as its file; several as a zip of their files."""
    if len(frameworks) == 1:
        framework = frameworks[0]
        text = exporters.dump(exporters.framework_data(framework), fmt)
        response = HttpResponse(text, content_type=exporters.CONTENT_TYPES[fmt])
        name = exporters.export_filename(framework, fmt)
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for framework in frameworks:
                archive.writestr(
                    exporters.export_filename(framework, fmt),
                    exporters.dump(exporters.framework_data(framework), fmt),
                )
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        name = f"frameworks-{fmt}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "code",
        "version",
        "kind",
        "scale",
        "effective_date",
        "ratable_count",
        "imported_at",
    )
    list_filter = ("kind", "code")
    list_select_related = ("scale",)
    search_fields = ("code", "name", "source")
    inlines = (CompetencyInline,)
    actions = ("export_json", "export_csv")
    change_list_template = "frameworks/admin/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Framework]:
        leaves = Q(competencies__children__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(n_ratable=Count("competencies", filter=leaves, distinct=True))
        )

    @admin.display(description="Ratable items", ordering="n_ratable")
    def ratable_count(self, obj: Any) -> int:
        return int(obj.n_ratable)

    @admin.action(description="Export selected frameworks as JSON")
    def export_json(self, request: HttpRequest, queryset: QuerySet[Framework]) -> HttpResponse:
        return _download(list(Framework.objects.with_tree().filter(pk__in=queryset)), "json")

    @admin.action(description="Export selected frameworks as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Framework]) -> HttpResponse:
        return _download(list(Framework.objects.with_tree().filter(pk__in=queryset)), "csv")

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="frameworks_framework_import",
            )
        ]
        return extra + super().get_urls()  # type: ignore[operator]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a file; the same service as `manage.py import_framework` imports it."""
        if not request.user.has_perm("frameworks.add_framework"):
            raise PermissionDenied
        form = FrameworkImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = framework_import(
                    file=upload,
                    fmt=form.cleaned_data["format"] or None,
                    filename=upload.name or "",
                    size=upload.size,
                    by=request.user,  # type: ignore[arg-type]
                )
            except FrameworkImportError as exc:
                form.add_error("file", str(exc))
            else:
                level = messages.SUCCESS if result.created else messages.INFO
                self.message_user(request, result.message, level)
                return HttpResponseRedirect(
                    reverse("admin:frameworks_framework_change", args=[result.framework.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Import framework",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "frameworks/admin/import.html", context)


class LevelDescriptorInline(ReadOnlyInline):
    model = LevelDescriptor
    fields = ("level", "text")


@admin.register(Competency)
class CompetencyAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "framework", "parent", "order")
    list_filter = ("framework",)
    list_select_related = ("framework", "parent")
    search_fields = ("code", "title")
    inlines = (LevelDescriptorInline,)

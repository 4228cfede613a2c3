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
from frameworks.case import PATH as CASE_PATH
from frameworks.importers import FORMATS, Format, FrameworkImportError
from frameworks.models import (
    Competency,
    CompetencyLink,
    Framework,
    LevelDescriptor,
    RatingScale,
    ScaleLevel,
)
from frameworks.services import (
    CompetencyLinkError,
    competency_link_create,
    competency_link_delete,
    framework_import,
    framework_publish,
)


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
        help_text="A framework in Continuum's JSON schema or CSV layout, a CASE 1.0 package or "
        "MedBiquitous XML (see docs/frameworks.md)."
    )
    format = forms.ChoiceField(
        choices=[("", "From the file name"), *((f, f.upper()) for f in FORMATS)],
        required=False,
    )


def _download(request: HttpRequest, frameworks: list[Framework], fmt: Format) -> HttpResponse:
    """One framework as its file; several as a zip of their files."""
    base = request.build_absolute_uri(CASE_PATH)
    if len(frameworks) == 1:
        framework = frameworks[0]
        content = exporters.export_file(framework, fmt, case_base=base)
        response = HttpResponse(content, content_type=exporters.CONTENT_TYPES[fmt])
        name = exporters.export_filename(framework, fmt)
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for framework in frameworks:
                archive.writestr(
                    exporters.export_filename(framework, fmt),
                    exporters.export_file(framework, fmt, case_base=base),
                )
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        name = f"frameworks-{fmt}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _with_tree(queryset: QuerySet[Framework]) -> list[Framework]:
    return list(Framework.objects.with_tree().filter(pk__in=queryset))


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
        "public",
        "imported_at",
    )
    list_filter = ("kind", "code", "public")
    list_select_related = ("scale",)
    search_fields = ("code", "name", "source")
    inlines = (CompetencyInline,)
    actions = (
        "export_json",
        "export_csv",
        "export_case",
        "export_medbiq",
        "make_public",
        "make_not_public",
    )
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
        return _download(
            request, list(Framework.objects.with_tree().filter(pk__in=queryset)), "json"
        )

    @admin.action(description="Export selected frameworks as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Framework]) -> HttpResponse:
        return _download(
            request, list(Framework.objects.with_tree().filter(pk__in=queryset)), "csv"
        )

    @admin.action(description="Export selected frameworks as CASE 1.0 packages")
    def export_case(self, request: HttpRequest, queryset: QuerySet[Framework]) -> HttpResponse:
        return _download(
            request, list(Framework.objects.with_tree().filter(pk__in=queryset)), "case"
        )

    @admin.action(description="Export selected frameworks as MedBiquitous XML")
    def export_medbiq(self, request: HttpRequest, queryset: QuerySet[Framework]) -> HttpResponse:
        return _download(request, _with_tree(queryset), "medbiq")

    def _publish(self, request: HttpRequest, queryset: QuerySet[Framework], public: bool) -> None:
        if not request.user.has_perm("frameworks.change_framework"):
            raise PermissionDenied
        for framework in queryset:
            framework_publish(framework=framework, public=public, by=request.user)  # type: ignore[arg-type]
        state = "public" if public else "served with a token only"
        self.message_user(request, f"{queryset.count()} framework version(s) now {state}.")

    @admin.action(description="Serve selected frameworks publicly (CASE API, no token)")
    def make_public(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        self._publish(request, queryset, True)

    @admin.action(description="Serve selected frameworks with a token only (CASE API)")
    def make_not_public(self, request: HttpRequest, queryset: QuerySet[Framework]) -> None:
        self._publish(request, queryset, False)

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
                for warning in result.warnings[:50]:
                    self.message_user(request, warning, messages.WARNING)
                if len(result.warnings) > 50:
                    self.message_user(
                        request,
                        f"… and {len(result.warnings) - 50} more warnings.",
                        messages.WARNING,
                    )
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


class CompetencyLinkForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CompetencyLink
        fields = ("origin", "kind", "destination")

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        origin, destination = cleaned.get("origin"), cleaned.get("destination")
        if origin and destination and origin.framework_id == destination.framework_id:
            raise forms.ValidationError(
                "Both items are in the same framework version; link items of two frameworks."
            )
        return cleaned


@admin.register(CompetencyLink)
class CompetencyLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Links between items of two frameworks (an AAMC Core EPA to the milestone
    sub-competencies it informs). Made and removed through the services, so each is audited."""

    form = CompetencyLinkForm
    list_display = ("origin", "origin_framework", "kind", "destination", "destination_framework")
    list_select_related = ("origin__framework", "destination__framework")
    list_filter = ("kind", "origin__framework__code", "destination__framework__code")
    raw_id_fields = ("origin", "destination")
    search_fields = ("origin__code", "origin__title", "destination__code", "destination__title")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a link is made or removed, never edited

    @admin.display(description="From framework")
    def origin_framework(self, obj: CompetencyLink) -> str:
        return str(obj.origin.framework)

    @admin.display(description="To framework")
    def destination_framework(self, obj: CompetencyLink) -> str:
        return str(obj.destination.framework)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            link, _created = competency_link_create(
                origin=obj.origin,
                destination=obj.destination,
                kind=obj.kind,
                by=request.user,  # type: ignore[arg-type]
            )
        except CompetencyLinkError as exc:
            raise PermissionDenied(str(exc)) from exc
        obj.pk = link.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        competency_link_delete(link=obj, by=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CompetencyLink]) -> None:
        for link in queryset.select_related("origin", "destination"):
            competency_link_delete(link=link, by=request.user)  # type: ignore[arg-type]

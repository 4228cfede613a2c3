"""Ratings in the admin: readable, filterable, never edited here (they are records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from assessments.models import Assessment, CheckIn, SelfAssessment
from assessments.services.ratings import ratings_delete


class RecordAdmin(admin.ModelAdmin):
    """View-only: a rating is changed by recording a new one, not by editing an old one.

    Deleting stays possible, for data-protection requests and test data."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Through the service, which keeps the summaries built from ratings exact.
        ratings_delete(type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ratings_delete(queryset)


class SelfAssessmentInline(admin.TabularInline):
    model = SelfAssessment
    fields = ("competency", "level", "note", "assessed_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[SelfAssessment]:
        return super().get_queryset(request).select_related("competency")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CheckIn)
class CheckInAdmin(RecordAdmin):
    list_display = ("created_at", "learner", "framework", "item_count")
    list_filter = ("framework",)
    list_select_related = ("learner", "framework")
    search_fields = ("learner__email", "learner__display_name")
    date_hierarchy = "created_at"
    inlines = (SelfAssessmentInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CheckIn]:
        return super().get_queryset(request).annotate(n_items=Count("items"))

    @admin.display(description="Ratings", ordering="n_items")
    def item_count(self, obj: Any) -> int:
        return int(obj.n_items)


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(RecordAdmin):
    list_display = ("assessed_on", "learner", "competency", "level", "note")
    list_filter = ("competency__framework", "level")
    list_select_related = ("learner", "competency")
    search_fields = ("learner__email", "learner__display_name", "competency__code", "note")
    date_hierarchy = "assessed_on"


@admin.register(Assessment)
class AssessmentAdmin(RecordAdmin):
    list_display = (
        "observed_on",
        "learner",
        "competency",
        "level",
        "assessor",
        "source",
        "context",
    )
    list_filter = ("source", "competency__framework", "level")
    list_select_related = ("learner", "assessor", "competency")
    search_fields = (
        "learner__email",
        "learner__display_name",
        "assessor__email",
        "assessor__display_name",
        "competency__code",
        "context",
        "went_well",
        "next_step",
    )
    date_hierarchy = "observed_on"
    fieldsets = (
        (None, {"fields": ("learner", "competency", "level", "observed_on")}),
        ("By", {"fields": ("assessor", "source", "context")}),
        ("Feedback", {"fields": ("went_well", "next_step")}),
        ("Recorded", {"fields": ("created_at",)}),
    )
    readonly_fields = ("created_at",)

"""Administration of the equity app. Administrators configure the categories and their
options. Learners' answers appear only as counts: the changelist of characteristics shows
how many answered each category, never a row, and no answer can be opened."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from equity.models import Characteristic, CharacteristicCategory, CharacteristicOption

ROUND_TO = 5


class OptionInline(admin.TabularInline):
    model = CharacteristicOption
    extra = 1


@admin.register(CharacteristicCategory)
class CharacteristicCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "key", "order", "is_active"]
    list_filter = ["institution", "is_active"]
    inlines = [OptionInline]


@admin.register(Characteristic)
class CharacteristicAdmin(admin.ModelAdmin):
    """Counts only: per category, about how many answered (any answer, "prefer not to say"
    included), rounded down to a multiple of five. No breakdown by option, and no exact
    count: set beside a slice of the equity view, an exact number of answers would tell how
    many gave none, and with it a hidden small group (docs/equity.md, *Suppression*)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise Http404

    def history_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise Http404

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        counts = [
            (category, category.answered // ROUND_TO * ROUND_TO)
            for category in CharacteristicCategory.objects.select_related("institution")
            .annotate(answered=Count("answers"))
            .order_by("institution__name", "order", "name")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Characteristics (counts only)",
            "counts": counts,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/equity/characteristic_counts.html", context)

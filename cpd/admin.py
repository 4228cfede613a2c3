"""Institution admins configure the credit types a diary offers beyond the shipped AMA PRA
categories. Learners' activities and cycles are theirs and stay out of the admin."""

from __future__ import annotations

from django.contrib import admin

from cpd.models import CreditType


@admin.register(CreditType)
class CreditTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code", "is_category_1", "is_active", "order"]
    list_editable = ["is_active", "order"]
    prepopulated_fields = {"code": ("name",)}

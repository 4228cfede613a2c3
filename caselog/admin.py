from django.contrib import admin

from caselog.models import CaseLogSettings, Procedure


@admin.register(CaseLogSettings)
class CaseLogSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("institution", "mrn_pattern")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "program", "minimum", "is_active")
    list_filter = ("program",)

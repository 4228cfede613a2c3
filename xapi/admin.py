from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from xapi.models import CompetencyMapping, LrsClient
from xapi.services.clients import lrs_client_create, lrs_client_revoke, lrs_client_rotate


@admin.register(LrsClient)
class LrsClientAdmin(admin.ModelAdmin):
    """Lists the xAPI clients; rotating shows the new secret once, revoking stops the key."""

    list_display = (
        "name",
        "key",
        "reads_all",
        "created_at",
        "rotated_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("reads_all",)
    search_fields = ("name", "key")
    fields = ("name", "reads_all", "key", "created_at", "rotated_at", "last_used_at", "revoked_at")
    readonly_fields = ("key", "created_at", "rotated_at", "last_used_at", "revoked_at")
    actions = ("rotate_secret", "revoke")

    def save_model(self, request: HttpRequest, obj: LrsClient, form: object, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        credentials = lrs_client_create(name=obj.name, reads_all=obj.reads_all)
        obj.pk = credentials.client.pk
        obj.key = credentials.key
        messages.warning(
            request,
            f"Key {credentials.key}, secret {credentials.secret} — copy the secret now: "
            "only its hash is kept.",
        )

    @admin.action(description="Rotate the secret (the old one stops working)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[LrsClient]) -> None:
        for client in queryset.filter(revoked_at__isnull=True):
            credentials = lrs_client_rotate(client=client)
            messages.warning(
                request,
                f"{client.name}: new secret {credentials.secret} — copy it now: "
                "only its hash is kept.",
            )

    @admin.action(description="Revoke (the key stops authenticating)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[LrsClient]) -> None:
        for client in queryset:
            lrs_client_revoke(client=client)
        messages.success(request, f"Revoked {queryset.count()} client(s).")


@admin.register(CompetencyMapping)
class CompetencyMappingAdmin(admin.ModelAdmin):
    """Which competencies statements about an activity (by id or type) suggest to learners."""

    list_display = ("activity_id", "activity_type", "competency")
    search_fields = ("activity_id", "activity_type", "competency__code", "competency__title")
    autocomplete_fields = ("competency",)

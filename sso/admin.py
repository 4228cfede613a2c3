from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from audit.services import audit_record
from sso.middleware import ORIGINS_CACHE_KEY
from sso.models import EmailDomain, IdentityProvider, ScimGroup, ScimToken, ScimUser
from sso.scim.services import scim_token_create, scim_user_delete
from sso.services import (
    identity_provider_audit,
    identity_provider_settings,
    saml_metadata_fetch,
    saml_metadata_parse,
    sp_keypair_ensure,
)

SAML_MISSING = (
    "SAML is unavailable on this server: python3-saml with matching xmlsec and lxml wheels is "
    "not installed (pip install '.[saml]'). OpenID Connect works without it."
)


class EmailDomainForm(forms.ModelForm):
    class Meta:
        model = EmailDomain
        fields = ("domain", "authoritative", "sso_required")

    def clean_domain(self) -> str:
        domain = str(self.cleaned_data["domain"]).strip().lower().lstrip("@")
        if "." not in domain or "@" in domain or " " in domain:
            raise ValidationError("Give a domain such as northbridge.edu.")
        return domain


class EmailDomainInline(admin.TabularInline):
    model = EmailDomain
    form = EmailDomainForm
    extra = 1


class IdentityProviderForm(forms.ModelForm):
    saml_metadata_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Metadata URL",
        help_text="Where the IdP publishes its SAML metadata.",
    )
    oidc_issuer = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Issuer",
        help_text="The provider's issuer URL; its discovery document is read from there.",
    )
    metadata_file = forms.FileField(
        required=False, help_text="The IdP's SAML metadata (XML), to import now."
    )
    import_metadata_url = forms.BooleanField(
        required=False,
        initial=True,
        label="Import from the metadata URL on save",
        help_text="Reads the metadata URL again (for a new certificate or endpoints).",
    )

    imported: tuple[str, dict[str, str]] | None = None

    class Meta:
        model = IdentityProvider
        fields = (
            "institution",
            "name",
            "slug",
            "protocol",
            "enabled",
            "enforces_mfa",
            "mfa_values",
            "saml_metadata_url",
            "saml_allow_idp_initiated",
            "saml_require_encryption",
            "saml_attributes",
            "oidc_issuer",
            "oidc_client_id",
            "oidc_client_secret",
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        protocol = data.get("protocol")
        if protocol == IdentityProvider.Protocol.SAML:
            if not settings.SAML_AVAILABLE:
                raise ValidationError(SAML_MISSING)
            upload = data.get("metadata_file")
            url = (
                str(data.get("saml_metadata_url") or "") if data.get("import_metadata_url") else ""
            )
            has_idp = bool((self.instance.saml_idp or {}).get("sso_url"))
            if not upload and not url and not has_idp:
                raise ValidationError("Import the IdP's metadata: upload the file or give its URL.")
            if upload or url:
                xml = upload.read().decode("utf-8", errors="replace") if upload else ""
                xml = xml or saml_metadata_fetch(url=url)
                entity_id = (self.instance.saml_idp or {}).get("entity_id", "")
                self.imported = (xml, saml_metadata_parse(xml=xml, entity_id=entity_id))
        elif protocol == IdentityProvider.Protocol.OIDC:
            missing = [
                label
                for field, label in (
                    ("oidc_issuer", "issuer"),
                    ("oidc_client_id", "client ID"),
                    ("oidc_client_secret", "client secret"),
                )
                if not data.get(field)
            ]
            if missing:
                raise ValidationError(f"OpenID Connect needs the {', '.join(missing)}.")
        return data


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    inlines = (EmailDomainInline,)
    list_display = ("name", "institution", "protocol", "enabled", "enforces_mfa")
    list_filter = ("protocol", "enabled", "institution")
    list_select_related = ("institution",)
    search_fields = ("name", "slug", "institution__name", "domains__domain")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("service_provider_urls", "saml_idp", "sp_certificate")
    fieldsets = (
        (None, {"fields": ("institution", "name", "slug", "protocol", "enabled")}),
        ("MFA", {"fields": ("enforces_mfa", "mfa_values")}),
        (
            "SAML 2.0",
            {
                "fields": (
                    "saml_metadata_url",
                    "import_metadata_url",
                    "metadata_file",
                    "saml_idp",
                    "saml_allow_idp_initiated",
                    "saml_require_encryption",
                    "saml_attributes",
                    "sp_certificate",
                )
            },
        ),
        ("OpenID Connect", {"fields": ("oidc_issuer", "oidc_client_id", "oidc_client_secret")}),
        ("Give these to the identity provider", {"fields": ("service_provider_urls",)}),
    )

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, *args: Any, **kwargs: Any
    ) -> Any:
        if not settings.SAML_AVAILABLE:
            messages.warning(request, SAML_MISSING)
        return super().changeform_view(request, object_id, *args, **kwargs)

    @admin.display(description="Service provider")
    def service_provider_urls(self, obj: IdentityProvider) -> str:
        if not obj.pk:
            return "Saved providers show their URLs here."
        if obj.protocol == IdentityProvider.Protocol.OIDC:
            callback = reverse("openid_connect_callback", kwargs={"provider_id": obj.slug})
            return format_html("Redirect URI: <code>{}</code>", callback)
        kwargs = {"organization_slug": obj.slug}
        return format_html(
            "Metadata: <code>{}</code><br>ACS: <code>{}</code><br>Single logout: <code>{}</code>",
            reverse("saml_metadata", kwargs=kwargs),
            reverse("saml_acs", kwargs=kwargs),
            reverse("saml_sls", kwargs=kwargs),
        )

    def save_model(
        self, request: HttpRequest, obj: IdentityProvider, form: Any, change: bool
    ) -> None:
        # The settings as they were, for the audit log once the domains are saved too.
        stored = IdentityProvider.objects.filter(pk=obj.pk).first() if change else None
        form.audit_before = identity_provider_settings(stored) if stored else None
        form.audit_secret_changed = bool(
            stored and stored.oidc_client_secret != obj.oidc_client_secret
        )
        imported = getattr(form, "imported", None)
        if obj.protocol == IdentityProvider.Protocol.SAML:
            if imported is not None:
                obj.saml_metadata_xml, obj.saml_idp = imported
            sp_keypair_ensure(provider=obj)
        obj.save()
        cache.delete(ORIGINS_CACHE_KEY)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        identity_provider_audit(
            provider=form.instance,
            before=getattr(form, "audit_before", None),
            by=request.user,  # type: ignore[arg-type]
            secret_changed=getattr(form, "audit_secret_changed", False),
        )

    def delete_model(self, request: HttpRequest, obj: IdentityProvider) -> None:
        identity_provider_audit(
            provider=obj,
            before=identity_provider_settings(obj),
            by=request.user,  # type: ignore[arg-type]
            deleted=True,
        )
        super().delete_model(request, obj)
        cache.delete(ORIGINS_CACHE_KEY)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for provider in queryset:
            self.delete_model(request, provider)
        cache.delete(ORIGINS_CACHE_KEY)


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    """SCIM bearer tokens: adding one shows its key once, in the confirmation message."""

    list_display = ("name", "institution", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("institution",)
    list_select_related = ("institution",)
    fields = ("institution", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def save_model(self, request: HttpRequest, obj: ScimToken, form: Any, change: bool) -> None:
        if change:
            obj.save()
            if "revoked_at" in form.changed_data:
                audit_record(
                    actor=request.user,  # type: ignore[arg-type]
                    action="scim_token.revoke" if obj.revoked_at else "scim_token.restore",
                    target=obj,
                    institution_id=obj.institution_id,
                    after={"revoked_at": obj.revoked_at},
                )
            return
        token, key = scim_token_create(
            institution=obj.institution,
            name=obj.name,
            by=request.user,  # type: ignore[arg-type]
        )
        obj.pk, obj.prefix, obj.key_hash = token.pk, token.prefix, token.key_hash
        messages.warning(
            request,
            f"The token for {obj.name} is {key} — copy it now; it is not shown again.",
        )


@admin.register(ScimUser)
class ScimUserAdmin(admin.ModelAdmin):
    """What each institution's provisioning client has made; read-only here, the client owns
    it (deleting a row here ends the person's roles at that institution, like SCIM DELETE)."""

    list_display = ("user_name", "institution", "active", "created_account", "updated_at")
    list_filter = ("institution", "active")
    list_select_related = ("institution",)
    search_fields = ("user_name", "external_id")
    readonly_fields = [f.name for f in ScimUser._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: ScimUser) -> None:
        scim_user_delete(record=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for record in queryset:
            scim_user_delete(record=record)


@admin.register(ScimGroup)
class ScimGroupAdmin(admin.ModelAdmin):
    list_display = ("display_name", "institution", "program", "role")
    list_filter = ("institution", "role")
    list_select_related = ("institution", "program")
    readonly_fields = ("institution", "display_name", "external_id", "program", "role")
    exclude = ("members",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

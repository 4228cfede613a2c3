"""allauth's view of our identity providers: one unsaved SocialApp per IdentityProvider row, so
the configuration lives in one place (the admin's identity provider page)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from sso.models import IdentityProvider


def social_app(provider: IdentityProvider) -> SocialApp:
    oidc = provider.protocol == IdentityProvider.Protocol.OIDC
    return SocialApp(
        provider=provider.protocol,
        provider_id=provider.slug,
        name=provider.name,
        client_id=provider.oidc_client_id if oidc else provider.slug,
        secret=provider.oidc_client_secret if oidc else "",
        settings=provider.app_settings(),
    )


def login_url(provider: IdentityProvider) -> str:
    if provider.protocol == IdentityProvider.Protocol.OIDC:
        return reverse("openid_connect_login", kwargs={"provider_id": provider.slug})
    return reverse("saml_login", kwargs={"organization_slug": provider.slug})

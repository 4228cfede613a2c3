"""Lets forms lead to identity providers under the strict CSP. A form's `form-action` covers
the redirects after it is posted, so the sign-in buttons (our URL, then the IdP) and the
sign-out button of someone who came through an IdP (our URL, then the IdP's logout) need the
identity providers' origins there."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from accounts.sessions import IDP_SESSION_KEY
from sso.models import IdentityProvider
from sso.selectors import providers_enabled

ORIGINS_CACHE_KEY = "sso:form-action-origins"
# Pages whose buttons post to us and are redirected to an IdP: sign in, the "continue" page of
# a sign-in started by a link, and connecting another sign-in to an account.
PAGES_WITH_IDP_BUTTONS = frozenset(
    {
        "account_login",
        "saml_login",
        "openid_connect_login",
        "socialaccount_connections",
        "account-merge",
    }
)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def provider_origins(provider: IdentityProvider) -> set[str]:
    urls = [provider.oidc_issuer] if provider.protocol == IdentityProvider.Protocol.OIDC else []
    urls += [provider.saml_idp.get("sso_url", ""), provider.saml_idp.get("slo_url", "")]
    return {origin for origin in map(_origin, urls) if origin}


def enabled_origins() -> list[str]:
    """Every enabled IdP's origin, cached briefly (the admin clears it on save)."""
    origins: list[str] | None = cache.get(ORIGINS_CACHE_KEY)
    if origins is None:
        found: set[str] = set()
        for provider in providers_enabled():
            found |= provider_origins(provider)
        origins = sorted(found)
        cache.set(ORIGINS_CACHE_KEY, origins, 300)
    return origins


class IdentityProviderFormAction:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        match = getattr(request, "resolver_match", None)
        leads_to_idp = match is not None and match.url_name in PAGES_WITH_IDP_BUTTONS
        signed_in_through_idp = hasattr(request, "session") and IDP_SESSION_KEY in request.session
        if leads_to_idp or signed_in_through_idp:
            origins = enabled_origins()
            if origins:
                update = getattr(response, "_csp_update", None) or {}
                existing = update.get("form-action", [])
                existing = [existing] if isinstance(existing, str) else list(existing)
                update["form-action"] = [*existing, *origins]
                response._csp_update = update  # type: ignore[attr-defined]
        return response

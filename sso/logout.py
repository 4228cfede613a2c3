"""Signing out at the identity provider: a SAML LogoutRequest (single logout) or an OpenID
Connect end-session request, built while the person is still signed in here."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import requests
from django.http import HttpRequest
from django.urls import reverse

from sso.models import IdentityProvider
from sso.socialapps import social_app

logger = logging.getLogger(__name__)


def idp_logout_url(
    request: HttpRequest, *, provider: IdentityProvider, entry: dict[str, Any]
) -> str | None:
    """Where to send the browser to end the IdP session; None when it offers no way."""
    if provider.protocol == IdentityProvider.Protocol.SAML:
        return _saml_logout_url(request, provider, entry)
    return _oidc_end_session_url(request, provider, entry)


def _saml_logout_url(
    request: HttpRequest, provider: IdentityProvider, entry: dict[str, Any]
) -> str | None:
    if not provider.saml_idp.get("slo_url") or not entry.get("name_id"):
        return None
    from allauth.socialaccount.providers.saml.utils import build_auth

    app = social_app(provider)
    auth = build_auth(request, app.get_provider(request))
    url: str = auth.logout(
        return_to=request.build_absolute_uri(reverse("account_login")),
        name_id=entry.get("name_id"),
        session_index=entry.get("session_index"),
        name_id_format=entry.get("name_id_format"),
    )
    return url


def _oidc_end_session_url(
    request: HttpRequest, provider: IdentityProvider, entry: dict[str, Any]
) -> str | None:
    issuer = provider.oidc_issuer.rstrip("/")
    try:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
        response.raise_for_status()
        endpoint = response.json().get("end_session_endpoint")
    except (requests.RequestException, ValueError):
        logger.warning("OpenID discovery failed for %s; signing out here only", provider.slug)
        return None
    if not endpoint:
        return None
    params = {
        "client_id": provider.oidc_client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("account_login")),
    }
    if entry.get("id_token"):
        params["id_token_hint"] = entry["id_token"]
    return f"{endpoint}?{urlencode(params)}"

"""allauth's OpenID Connect provider, sending a nonce with each authorization request and
keeping it in the stashed state, so the callback can match it to the ID token's."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.http import HttpRequest, HttpResponse

from sso.oidc.views import VerifyingOIDCAdapter


class InstitutionOIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = VerifyingOIDCAdapter

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(24)
        # Extra parameters (e.g. prompt=login for a fresh sign-in) add to the configured ones.
        auth_params = {**self.get_auth_params(), **(kwargs.pop("auth_params", None) or {})}
        auth_params["nonce"] = nonce
        response: HttpResponse = super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )
        return response


provider_classes = [InstitutionOIDCProvider]

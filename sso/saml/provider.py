"""allauth's SAML provider, keeping what Continuum checks after the signature: the assertion's
ID and expiry (replay) and the authentication context (staff MFA)."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


class InstitutionSAMLProvider(SAMLProvider):
    def extract_extra_data(self, data: Any) -> dict[str, Any]:
        # `data` is python3-saml's Auth after process_response() accepted the response.
        return {
            "attributes": data.get_attributes(),
            "name_id": data.get_nameid(),
            "name_id_format": data.get_nameid_format(),
            "session_index": data.get_session_index(),
            "assertion_id": data.get_last_assertion_id(),
            "not_on_or_after": data.get_last_assertion_not_on_or_after(),
            "authn_contexts": list(data.get_last_authn_contexts() or []),
        }

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        """allauth's, plus `force_authn`: the IdP asks for the credentials again even when it
        has a session (proving an account for a merge must be a fresh sign-in)."""
        from allauth.socialaccount.providers.saml.utils import build_auth

        force_authn = bool(kwargs.pop("force_authn", False))
        auth = build_auth(request, self)
        location = auth.login(return_to="", force_authn=force_authn)
        self.stash_redirect_state(
            request, process, next_url, data, state_id=auth.get_last_request_id(), **kwargs
        )
        return HttpResponseRedirect(location)


provider_classes = [InstitutionSAMLProvider]

"""allauth's SAML provider, keeping what Continuum checks after the signature: the assertion's
ID and expiry (replay) and the authentication context (staff MFA)."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.providers.saml.provider import SAMLProvider


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


provider_classes = [InstitutionSAMLProvider]

"""Session keys shared by apps in different layers.

Single sign-on (the `sso` app, above `programs`) records here that the identity provider
asserted a second factor for this session; the staff MFA gate (in `programs`) reads it without
importing `sso`.
"""

from __future__ import annotations

from django.http import HttpRequest

IDP_SESSION_KEY = "sso_idp"


def mfa_asserted_by_idp(request: HttpRequest) -> bool:
    """The person signed in through an identity provider that vouched for MFA this session."""
    entry = request.session.get(IDP_SESSION_KEY) if hasattr(request, "session") else None
    return bool(
        isinstance(entry, dict)
        and entry.get("mfa")
        and entry.get("user") == getattr(request.user, "pk", None)
    )

"""Session keys shared by apps in different layers.

Single sign-on (the `sso` app, above `programs`) records here that the identity provider
asserted a second factor for this session; the staff MFA gate (in `programs`) reads it without
importing `sso`.
"""

from __future__ import annotations

import time

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


# Merging two accounts (privacy, above `sso`): the merge page starts a sign-in through an
# identity provider with this key in the sign-in's state; the SSO adapter, seeing it, does not
# sign anyone in but records here which account that fresh sign-in opened. The proof is good
# for one merge by the account that asked for it, for a few minutes.
MERGE_PROOF_STATE = "merge_proof_for"
MERGE_PROOF_KEY = "merge_proof"
MERGE_PROOF_SECONDS = 600


def merge_proof_record(
    request: HttpRequest, *, keep_id: int, other_id: int, provider_name: str
) -> None:
    request.session[MERGE_PROOF_KEY] = {
        "user": keep_id,
        "other": other_id,
        "provider": provider_name,
        "at": time.time(),
    }


def merge_proof_of(request: HttpRequest, *, keep_id: int) -> tuple[int, str] | None:
    """(other account's id, provider name) proven by a fresh SSO sign-in in this session for
    `keep_id`, or None (none, another account's, or too old)."""
    entry = request.session.get(MERGE_PROOF_KEY) if hasattr(request, "session") else None
    if not isinstance(entry, dict) or entry.get("user") != keep_id:
        return None
    if time.time() - float(entry.get("at") or 0) > MERGE_PROOF_SECONDS:
        return None
    return int(entry["other"]), str(entry.get("provider") or "")


def merge_proof_forget(request: HttpRequest) -> None:
    request.session.pop(MERGE_PROOF_KEY, None)

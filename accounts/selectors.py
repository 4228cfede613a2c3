"""Access-scoped reads for accounts: a person sees only their own API tokens."""

from __future__ import annotations

from accounts.models import ApiTokenQuerySet, User


def api_tokens_of(*, user: User) -> ApiTokenQuerySet:
    """The active personal API tokens of `user`, newest first; nobody else's."""
    return user.api_tokens.active().order_by("-created_at")  # type: ignore[attr-defined,no-any-return]

from __future__ import annotations

from django.db import transaction

from accounts.models import ApiToken, User, hash_token


@transaction.atomic
def api_token_create(*, user: User, name: str = "personal") -> str:
    """Create a personal API token and return its key; only the hash is stored."""
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=hash_token(key))
    return key

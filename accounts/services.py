from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User, hash_token
from audit.services import audit_record


@transaction.atomic
def api_token_create(*, user: User, name: str = "personal") -> tuple[ApiToken, str]:
    """Create a personal API token; return it and its key. Only the hash is stored, so the
    key is shown this once."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=hash_token(key))
    audit_record(
        actor=user,
        action="api_token.create",
        target=token,
        after={"owner": user.email, "name": name, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Stop a token from authenticating; the row stays as a record of its use."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action="api_token.revoke",
            target=token,
            before={"owner": token.user.email, "name": token.name, "prefix": token.prefix},
        )
    return token


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> User:
    """Change the names a person shows to others; the fields not given stay."""
    changed = []
    for field, value in (
        ("display_name", display_name),
        ("first_name", first_name),
        ("last_name", last_name),
    ):
        if value is not None and getattr(user, field) != value.strip():
            setattr(user, field, value.strip())
            changed.append(field)
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
    return user

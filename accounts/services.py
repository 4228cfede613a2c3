from __future__ import annotations

import uuid

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
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


# Stub e-mail addresses use the reserved `.invalid` domain: they can never receive mail, never
# collide with an address someone signs up with, and sort together in the admin.
ERASED_EMAIL_DOMAIN = "erased.invalid"


@transaction.atomic
def user_erase(*, user: User, keep_stub: bool, label: str) -> User | None:
    """Remove a person's sign-in, credentials and profile. With `keep_stub` the row stays as an
    anonymised stub named `label` (records others need still point at it); without, it is
    deleted. Returns the stub, or None. The apps' own rows are the caller's business
    (privacy.services.account_erase); this is the last step."""
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    # Links to identity providers (and any tokens they hold): the IdP's identifier for the
    # person must not stay behind, or a later sign-in there would open the stub.
    SocialAccount.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    # The admin's history names changed objects by their text at the time: for this person's
    # account that text was their e-mail address.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=label)
    if not keep_stub:
        user.delete()
        return None
    user.email = f"erased-{uuid.uuid4().hex}@{ERASED_EMAIL_DOMAIN}"
    user.display_name = label
    user.first_name = ""
    user.last_name = ""
    # An unusable password changes the session hash: every session of the person ends too.
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.erased_at = timezone.now()
    user.save()
    return user

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


@transaction.atomic
def api_token_create(*, user: User, name: str = "personal") -> str:
    """Create a personal API token and return its key; only the hash is stored."""
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=hash_token(key))
    return key


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

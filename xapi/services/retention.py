"""How long the LRS keeps statements that reach no Continuum learner."""

from __future__ import annotations

import datetime as dt
import hashlib

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from xapi.models import Attachment, Statement, StatementAttachment

BATCH = 1000


def claimed_keys() -> set[str]:
    """Every actor identifier that names a learner: verified emails and site accounts."""
    keys = {
        f"account:{settings.XAPI_ACCOUNT_HOMEPAGE}|{email}"
        for email in User.objects.values_list("email", flat=True)
    }
    for email in EmailAddress.objects.filter(verified=True).values_list("email", flat=True):
        mbox = f"mailto:{email.lower()}"
        keys.add(f"mbox:{mbox}")
        keys.add(f"mbox_sha1sum:{hashlib.sha1(mbox.encode(), usedforsecurity=False).hexdigest()}")
    return keys


def statements_prune_unclaimed(*, now: dt.datetime | None = None) -> int:
    """Delete statements older than XAPI_UNCLAIMED_DAYS whose actor is no learner.

    Statements a learner accepted or dismissed are kept whatever their age; the content of
    their attachments goes with them unless a remaining statement names it too. Safe to run
    twice: a second run finds nothing more to delete.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.XAPI_UNCLAIMED_DAYS)
    keys = claimed_keys()
    old = Statement.objects.filter(stored__lt=cutoff, decisions__isnull=True)
    unclaimed = [
        seq for seq, actor in old.values_list("seq", "actor_ifi").iterator() if actor not in keys
    ]
    deleted = 0
    for start in range(0, len(unclaimed), BATCH):
        chunk = unclaimed[start : start + BATCH]
        with transaction.atomic():
            hashes = set(
                StatementAttachment.objects.filter(statement__in=chunk).values_list(
                    "sha2", flat=True
                )
            )
            count, _ = Statement.objects.filter(seq__in=chunk).delete()
            count += attachments_delete_orphaned(candidates=hashes)
        deleted += count
    return deleted


def attachments_delete_orphaned(*, candidates: set[str]) -> int:
    """Delete the stored content of the `candidates` (hashes of attachments of statements just
    deleted) that no remaining statement names. Returns how many were deleted."""
    if not candidates:
        return 0
    still_named = StatementAttachment.objects.filter(sha2=OuterRef("sha2"))
    count, _ = Attachment.objects.filter(sha2__in=candidates).filter(~Exists(still_named)).delete()
    return count

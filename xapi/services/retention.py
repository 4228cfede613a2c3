"""How long the LRS keeps statements that reach no Continuum learner."""

from __future__ import annotations

import datetime as dt
import hashlib

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from xapi.models import Statement

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

    Statements a learner accepted or dismissed are kept whatever their age. Safe to run
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
        with transaction.atomic():
            count, _ = Statement.objects.filter(seq__in=unclaimed[start : start + BATCH]).delete()
        deleted += count
    return deleted

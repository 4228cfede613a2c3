"""Who may read which credential: the learner their own; the verification page anyone."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from credentials.models import Credential


def credentials_of(*, viewer: User) -> QuerySet[Credential]:
    """The viewer's own credentials, newest first (nobody else's, whatever their role)."""
    return Credential.objects.filter(learner=viewer).select_related("institution")

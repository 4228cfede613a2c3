"""Who may read which credential: the learner their own; the verification page anyone;
the director of the program that signed it off may revoke."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from credentials.models import Credential
from programs.selectors import programs_signed_off_by


def credentials_of(*, viewer: User) -> QuerySet[Credential]:
    """The viewer's own credentials, newest first (nobody else's, whatever their role)."""
    return Credential.objects.filter(learner=viewer).select_related("institution")


def credentials_revocable_by(*, user: User) -> QuerySet[Credential]:
    """Credentials signed off in a program `user` directs (a decision or a review of it): the
    director may revoke them (a decision withdrawn, issued in error)."""
    return Credential.objects.filter(program__in=programs_signed_off_by(user=user)).select_related(
        "institution"
    )

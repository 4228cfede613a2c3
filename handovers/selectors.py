"""Who reads a handover: the learner always; the receiving program's reviewers (director,
coordinator, committee) only once it is sent and until it is withdrawn. Anyone else: 404."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from handovers.models import Handover
from programs.selectors import programs_reviewed_by


def handovers_of(*, viewer: User, learner: User) -> QuerySet[Handover]:
    """The learner's own handovers, newest first. Only the learner reads this list."""
    if viewer.pk != learner.pk:
        return Handover.objects.none()
    return (
        Handover.objects.filter(learner=learner)
        .select_related("program", "program__institution")
        .order_by("-created_at", "-id")
    )


def handovers_received_by(*, viewer: User) -> QuerySet[Handover]:
    """Sent (not withdrawn) handovers to programs `viewer` reviews, newest first."""
    return (
        Handover.objects.filter(
            status=Handover.Status.SENT,
            program__in=programs_reviewed_by(user=viewer).values("pk"),
        )
        .select_related("learner", "program", "program__institution")
        .order_by("-sent_at", "-id")
    )

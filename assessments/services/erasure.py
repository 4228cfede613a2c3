"""Erasure of a person's ratings (docs/privacy.md): what is theirs goes, records stay.

A learner's own ratings (check-ins, self-assessments) and their words on assessments of them
are deleted, with the rating summaries kept exact. Assessments by others are records: they
stay, attributed to the anonymised stub, whether the erased person was the learner rated or
the assessor who wrote them.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    AssessmentRequest,
    AssessmentResponse,
    AssessNowCode,
    AssessNowLink,
    CheckIn,
    FeedbackRequest,
    FeedbackResponse,
    ScheduledRotation,
    SelfAssessment,
    TeachingEvaluation,
)
from assessments.services.ratings import ratings_delete
from notifications.services import notification_send

CLOSED_ACCOUNT_REASON = "The assessor's account was closed. Ask someone else to observe you."


@transaction.atomic
def assessments_erase_for_user(*, user: User) -> None:
    """Delete the person's own ratings, requests and responses; decline the open requests
    addressed to them, telling each learner, so nobody waits for an answer that cannot come."""
    ratings_delete(CheckIn.objects.filter(learner=user))
    ratings_delete(SelfAssessment.objects.filter(learner=user))
    AssessmentResponse.objects.filter(learner=user).delete()
    # Assess-now codes and links, feedback about the person and teaching evaluations by or
    # of them are theirs; links they made for a learner stay with the learner.
    AssessNowLink.objects.filter(user=user).delete()
    AssessNowCode.objects.filter(learner=user).delete()
    FeedbackResponse.objects.filter(learner=user).delete()
    FeedbackRequest.objects.filter(learner=user).delete()
    TeachingEvaluation.objects.filter(author=user).delete()
    TeachingEvaluation.objects.filter(teacher=user).delete()
    # The learner's rotation blocks go with their requests; blocks they supervise stay.
    ScheduledRotation.objects.filter(learner=user).delete()
    AssessmentRequest.objects.filter(learner=user).delete()
    now = timezone.now()
    waiting = list(
        AssessmentRequest.objects.open()
        .filter(assessor=user)
        .select_related("learner")
        .select_for_update()
    )
    for request in waiting:
        request.status = AssessmentRequest.Status.DECLINED
        request.decline_reason = CLOSED_ACCOUNT_REASON
        request.closed_at = now
        request.updated_at = now
        request.save(update_fields=["status", "decline_reason", "closed_at", "updated_at"])
        notification_send(
            recipient=request.learner,
            kind="observation_request",
            title="An observation request was closed",
            body=CLOSED_ACCOUNT_REASON,
            url=reverse("observation-request-detail", args=[request.pk]),
            dedupe_key=f"observation-request:{request.pk}:declined",
        )

"""Access-scoped reads for committee review. Who reviews which program is decided by
`programs.selectors` (`program_reviewed_by`, `programs_signed_off_by`), beside the other rules
about program roles; the reads here start from a program or learner already checked."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from committee.models import ConsensusRating, LearnerReview
from programs.models import Enrollment, Program, ReviewPeriod


def enrollment_in_period(*, program: Program, learner_id: int, period: ReviewPeriod) -> Enrollment:
    """The learner's enrollment that overlaps `period`; Enrollment.DoesNotExist otherwise."""
    enrollment = (
        Enrollment.objects.filter(
            program=program,
            learner_id=learner_id,
            start_date__lte=period.end_date,
        )
        .exclude(end_date__lt=period.start_date)
        .select_related("learner", "cohort", "program")
        .order_by("-start_date")
        .first()
    )
    if enrollment is None:
        raise Enrollment.DoesNotExist
    return enrollment


def reviews_of_learner(*, learner: User) -> QuerySet[LearnerReview]:
    """The learner's own signed-off reviews; drafts stay inside the committee."""
    return (
        LearnerReview.objects.filter(learner=learner, status=LearnerReview.Status.SIGNED_OFF)
        .select_related("period", "period__program", "signed_off_by")
        .order_by("-period__start_date")
    )


def consensus_history(*, review: LearnerReview) -> QuerySet[ConsensusRating]:
    """Every version of every consensus rating of a review, newest version first."""
    return (
        ConsensusRating.objects.filter(review=review)
        .select_related("competency", "recorded_by")
        .order_by("competency__order", "-version")
    )

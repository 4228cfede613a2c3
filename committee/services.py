"""Writes for committee review: a learner's review of a period, the committee's consensus
ratings, the director's sign-off and the learner's response.

Every function is keyword-only, checks its own rules and runs in one transaction, so the HTML
pages and the API share one behaviour. Who may call what is decided by the callers through
`programs.selectors` (who reviews or signs off a program) and `committee.selectors`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from committee.achievements import review_sign_off_hooks_run
from committee.models import ConsensusRating, EntrustmentDecision, LearnerReview
from frameworks.models import Competency
from notifications.services import notification_send
from programs.models import Enrollment, Program, ReviewPeriod


def learner_review_open(*, period: ReviewPeriod, enrollment: Enrollment) -> LearnerReview:
    """The learner's review for the period, created on first use with their year then."""
    review, _ = LearnerReview.objects.get_or_create(
        period=period,
        learner_id=enrollment.learner_id,
        defaults={"training_year": enrollment.training_year_on(period.start_date)},
    )
    return review


def _program_competency(program: Program, competency_id: int) -> Competency:
    competency = (
        Competency.objects.ratable()
        .filter(pk=competency_id, framework__in=program.frameworks.all())
        .select_related("framework__scale")
        .first()
    )
    if competency is None:
        raise ValidationError({"competency": "Not a rated competency of this program."})
    return competency


@transaction.atomic
def consensus_record(
    *,
    review: LearnerReview,
    competency_id: int,
    level: Decimal,
    rationale: str,
    by: User,
    amendment_reason: str = "",
) -> ConsensusRating:
    """Record the committee's level for one sub-competency.

    Each change adds a version and keeps the earlier ones. Once the review is signed off a
    change is an amendment: it needs a reason, and the learner sees both.
    """
    review = (
        LearnerReview.objects.select_for_update()
        .select_related("period__program")
        .get(pk=review.pk)
    )
    competency = _program_competency(review.period.program, competency_id)
    try:
        level = Decimal(level)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValidationError({"level": "Give the level as a number."}) from error
    if not competency.framework.scale.allows(level):
        values = ", ".join(
            f"{v.normalize():f}" for v in sorted(competency.framework.scale.allowed_values())
        )
        raise ValidationError({"level": f"{level} is not on the scale ({values})."})
    rationale = rationale.strip()
    if not rationale:
        raise ValidationError({"rationale": "Write the committee's rationale."})
    amendment_reason = amendment_reason.strip()
    if review.is_signed_off and not amendment_reason:
        raise ValidationError(
            {"amendment_reason": "This review is signed off; say why the rating is amended."}
        )
    previous = ConsensusRating.objects.filter(review=review, competency=competency)
    last_version = previous.aggregate(v=Max("version"))["v"] or 0
    previous.filter(is_current=True).update(is_current=False)
    try:
        rating = ConsensusRating.objects.create(
            review=review,
            competency=competency,
            level=level,
            rationale=rationale,
            version=last_version + 1,
            is_current=True,
            amendment_reason=amendment_reason if review.is_signed_off else "",
            recorded_by=by,
        )
    except IntegrityError as error:  # a concurrent save of the same cell
        raise ValidationError("Someone saved this rating at the same time; reload.") from error
    if review.is_signed_off:
        # An amendment may reach (or fall below) the graduation target.
        review_sign_off_hooks_run(review)
    return rating


def _program_has_ratable(program: Program) -> bool:
    return Competency.objects.ratable().filter(framework__in=program.frameworks.all()).exists()


def missing_consensus(*, review: LearnerReview) -> list[Competency]:
    """The program's rated competencies that still have no consensus in this review."""
    program = review.period.program
    rated = ConsensusRating.objects.current().filter(review=review).values("competency_id")
    return list(
        Competency.objects.ratable()
        .filter(framework__in=program.frameworks.all())
        .exclude(pk__in=rated)
        .order_by("framework", "order")
    )


@transaction.atomic
def review_sign_off(*, review: LearnerReview, by: User, summary: str = "") -> LearnerReview:
    """The director signs off a complete review; the learner can then see it and respond.

    Refused while any of the program's sub-competencies lacks a consensus level.
    """
    review = (
        LearnerReview.objects.select_for_update()
        .select_related("period__program")
        .get(pk=review.pk)
    )
    if review.is_signed_off:
        raise ValidationError("This review is already signed off.")
    if not _program_has_ratable(review.period.program):
        raise ValidationError("The program rates against no framework: nothing to sign off.")
    missing = missing_consensus(review=review)
    if missing:
        codes = ", ".join(c.code for c in missing[:12])
        more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
        raise ValidationError(f"The review is incomplete: no consensus yet for {codes}{more}.")
    review.status = LearnerReview.Status.SIGNED_OFF
    review.signed_off_by = by
    review.signed_off_at = timezone.now()
    if summary.strip():
        review.summary = summary.strip()
    review.save(update_fields=["status", "signed_off_by", "signed_off_at", "summary"])
    _notify_learner_of_sign_off(review)
    # Graduation-level milestone achievements earn their credentials in this transaction.
    review_sign_off_hooks_run(review)
    return review


def _notify_learner_of_sign_off(review: LearnerReview) -> None:
    period = review.period
    notification_send(
        recipient=review.learner,
        kind="review",
        title=f"Your committee review for {period.name} is ready",
        body=(
            f"The {period.program.name} competency committee signed off your review. "
            "You can read the consensus levels and add your response."
        ),
        url=reverse("my-review-detail", kwargs={"review_id": review.pk}),
        dedupe_key=f"review:{review.pk}:signed-off",
    )


@transaction.atomic
def review_respond(*, review: LearnerReview, learner: User, text: str) -> LearnerReview:
    """The learner's response to their signed-off review (they may revise it)."""
    review = LearnerReview.objects.select_for_update().get(pk=review.pk)
    if review.learner_id != learner.pk or not review.is_signed_off:
        raise ValidationError("Only the learner can respond, once the review is signed off.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write a response."})
    if len(text) > 4000:
        raise ValidationError({"text": "At most 4,000 characters."})
    review.learner_response = text
    review.responded_at = timezone.now()
    review.save(update_fields=["learner_response", "responded_at"])
    return review


def refuse_new_dates_after_consensus(
    sender: object, *, period: ReviewPeriod, **kwargs: object
) -> None:
    """Receiver of `programs.signals.review_period_dates_changing`: once the committee has
    recorded consensus in a period, its dates stay (the consensus rests on the evidence those
    dates took in)."""
    if ConsensusRating.objects.filter(review__period=period).exists():
        raise ValidationError(
            {
                "start_date": "The committee has recorded consensus in this period, so its "
                "dates can no longer change."
            }
        )


@transaction.atomic
def committee_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): a signed-off review is the program's record and stays, with
    the learner's own response removed; a review still in committee decided nothing and goes
    with the learner. Reviews the person signed off or ratings they recorded stay theirs,
    attributed to the anonymised stub."""
    LearnerReview.objects.filter(learner=user, status=LearnerReview.Status.DRAFT).delete()
    LearnerReview.objects.filter(learner=user).update(learner_response="", responded_at=None)
    # Like a review: a decision still in committee goes, a signed-off one is the record.
    EntrustmentDecision.objects.filter(
        learner=user, status=EntrustmentDecision.Status.DRAFT
    ).delete()

"""Graduation-level milestone achievements (docs/credentials.md).

In our data model, a learner's **graduation-level milestone achievement is signed off** when
a committee review of theirs is signed off (or a signed-off review is amended) and a current
consensus rating in it, on a sub-competency of a milestones framework the program rates, is
at or above the program's graduation target for that sub-competency: the level the program
expects at the end of its final training year (`Program.duration_years`) — its own
`Expectation` for that year, else the default that steps to level 4. The achievement is the
learner, the program and the sub-competency: it is earned once, by the first consensus rating
that reaches the target; a later review at or above it is the same achievement.

Apps above the committee (credentials) act on it through `REVIEW_SIGN_OFF_HOOKS`, which
review sign-off and amendments call inside their transaction with the review.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from committee.models import ConsensusRating, LearnerReview
from frameworks.models import Framework
from programs.expectations import end_of_year_level
from programs.models import Expectation, Program

# Called with the review after it is signed off, and after a signed-off review is amended.
REVIEW_SIGN_OFF_HOOKS: list[Callable[[LearnerReview], object]] = []


def achievement_key(*, program_id: int, competency_id: int) -> str:
    """The name of one achievement: one credential per learner and key."""
    return f"milestone:{program_id}:{competency_id}"


def graduation_targets(*, program: Program, competency_ids: set[int]) -> dict[int, Decimal]:
    """Per competency id, the level the program expects at the end of its last year."""
    final = program.duration_years
    overrides = {
        (competency_id, final): level
        for competency_id, level in Expectation.objects.filter(
            program=program, competency_id__in=competency_ids, training_year=final
        ).values_list("competency_id", "level")
    }
    return {pk: end_of_year_level(program, overrides, pk, final) for pk in competency_ids}


def graduation_achievements(*, review: LearnerReview) -> list[ConsensusRating]:
    """The current consensus ratings of a signed-off review that reach the graduation target
    on a milestone sub-competency (two queries and the targets' one)."""
    if not review.is_signed_off:
        return []
    program = review.period.program
    ratings = list(
        ConsensusRating.objects.current()
        .filter(review=review, competency__framework__kind=Framework.Kind.MILESTONES)
        .select_related("competency__framework")
    )
    targets = graduation_targets(program=program, competency_ids={r.competency_id for r in ratings})
    return [r for r in ratings if r.level >= targets[r.competency_id]]


def review_sign_off_hooks_run(review: LearnerReview) -> None:
    for hook in REVIEW_SIGN_OFF_HOOKS:
        hook(review)

"""Credentials for tests, issued the way production issues them: a committee decision signed
off through the committee's own services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from assessments.tests.factories import epa_framework, milestone_framework
from committee.entrustment import entrustment_decision_record, entrustment_decision_sign_off
from committee.models import LearnerReview
from committee.services import consensus_record, review_sign_off
from credentials.models import Credential, IssuerKey
from credentials.services import issuer_key_rotate
from programs.models import ReviewPeriod


def issuer_key(program: Any) -> IssuerKey:
    existing = IssuerKey.objects.filter(
        institution=program.institution, retired_at__isnull=True
    ).first()
    return existing or issuer_key_rotate(institution=program.institution)


def issued(*, program: Any, learner: Any, by: Any, level: str = "4") -> Credential:
    """Sign off an entrustment decision for the learner and return the credential it earned."""
    issuer_key(program)
    framework, epas = epa_framework()
    program.frameworks.add(framework)
    decision = entrustment_decision_record(
        program=program,
        learner_id=learner.pk,
        competency_id=epas[0].pk,
        level=level,
        decided_on=dt.date.today(),
        rationale="Consistent observations across settings.",
        by=by,
    )
    entrustment_decision_sign_off(decision=decision, by=by)
    return Credential.objects.get(decision=decision)


def reviewed(
    *, program: Any, learner: Any, by: Any, levels: dict[int, str], start: dt.date | None = None
) -> Any:
    """Sign off a committee review of the learner with these consensus levels (per competency
    id; every ratable competency of the program needs one) and return the review."""
    start = start or dt.date(2025, 7, 1)
    period = ReviewPeriod.objects.create(
        program=program,
        name=f"Review from {start:%b %Y}",
        start_date=start,
        end_date=start + dt.timedelta(days=180),
    )
    review = LearnerReview.objects.create(period=period, learner=learner, training_year=3)
    for competency_id, level in levels.items():
        consensus_record(
            review=review,
            competency_id=competency_id,
            level=Decimal(level),
            rationale="Consistent across rotations.",
            by=by,
        )
    return review_sign_off(review=review, by=by)


def milestones(program: Any) -> list[Any]:
    """A milestones framework the program rates (two sub-competencies)."""
    framework, leaves = milestone_framework(per_domain=2)
    program.frameworks.add(framework)
    return leaves

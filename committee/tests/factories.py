"""Factories for committee review's records."""

from __future__ import annotations

from decimal import Decimal

import factory

from committee.models import ConsensusRating, LearnerReview
from programs.tests.factories import ReviewPeriodFactory
from tests.factories import CompetencyFactory, UserFactory


class LearnerReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearnerReview

    period = factory.SubFactory(ReviewPeriodFactory)
    learner = factory.SubFactory(UserFactory)
    training_year = 1


class ConsensusRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsensusRating

    review = factory.SubFactory(LearnerReviewFactory)
    competency = factory.SubFactory(CompetencyFactory)
    level = Decimal("2")
    rationale = "Consistent with the period's observations."

"""Factories and builders for program, review-period and committee tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from assessments.models import Assessment
from assessments.summaries import assessor_summaries_refresh
from frameworks.models import Competency, Framework
from programs.models import ConsensusRating, LearnerReview, Program, ReviewPeriod
from programs.summaries import period_summaries_refresh_period
from tests.factories import (
    CompetencyFactory,
    EnrollmentFactory,
    FrameworkFactory,
    ProgramFactory,
    UserFactory,
)


class ReviewPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewPeriod

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Period {n}")
    start_date = dt.date(2025, 7, 1)
    end_date = dt.date(2025, 12, 31)
    is_year_end = False

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> ReviewPeriod:
        period = super()._create(model_class, *args, **kwargs)
        period_summaries_refresh_period(period_id=period.pk)  # as review_period_create does
        return period


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


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    assessor = factory.SubFactory(UserFactory)
    learner = factory.SubFactory(UserFactory)
    competency = factory.SubFactory(CompetencyFactory)
    level = Decimal("2")
    went_well = "Clear plan."
    next_step = "Broaden the differential."
    observed_on = dt.date(2025, 9, 1)

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> Assessment:
        return summarised(super()._create(model_class, *args, **kwargs))


def summarised(assessment: Assessment) -> Assessment:
    """Refresh the summaries for an assessment written outside the services, as
    `assessments.services.observations` does for the ones it records."""
    assessor_summaries_refresh(
        learner_id=assessment.learner_id,
        competency_ids=[assessment.competency_id],
        days=[assessment.observed_on],
    )
    return assessment


def milestone_framework(
    domains: int = 2, per_domain: int = 2
) -> tuple[Framework, list[Competency]]:
    """A milestone framework with `domains` domains of `per_domain` sub-competencies each;
    returns the framework and its ratable sub-competencies in order."""
    framework = FrameworkFactory()
    leaves: list[Competency] = []
    order = 0
    for d in range(domains):
        domain = CompetencyFactory(framework=framework, code=f"D{d + 1}", order=order)
        order += 1
        for i in range(per_domain):
            leaves.append(
                CompetencyFactory(
                    framework=framework, parent=domain, code=f"D{d + 1}.{i + 1}", order=order
                )
            )
            order += 1
    return framework, leaves


def program_with_framework(
    program: Program | None = None, **kwargs: int
) -> tuple[Program, list[Competency]]:
    program = program or ProgramFactory()
    framework, leaves = milestone_framework(**kwargs)
    program.frameworks.add(framework)
    return program, leaves


def enrol(program: Program, count: int, training_year: int = 1, **kwargs: object) -> list:
    return [
        EnrollmentFactory(program=program, training_year=training_year, **kwargs).learner
        for _ in range(count)
    ]

"""Factories for assessor ratings written outside the services, with the summaries kept exact
as the services keep them. Tests of several apps use them (committee, portfolio, browser)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from assessments.models import Assessment
from assessments.summaries.monthly import assessor_summaries_refresh
from tests.factories import CompetencyFactory, UserFactory


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
    `assessments.observations` does for the ones it records."""
    assessor_summaries_refresh(
        learner_id=assessment.learner_id,
        competency_ids=[assessment.competency_id],
        days=[assessment.observed_on],
    )
    return assessment

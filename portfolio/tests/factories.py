"""Factories for portfolio models, and a helper that gives a program a framework to use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from assessments.models import Assessment, CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.services.checkins import checkin_dates_refresh
from assessments.summaries.monthly import monthly_summaries_refresh
from assessments.tests.factories import on_shipped_form, summarised
from frameworks.models import Competency, Framework, LevelDescriptor
from portfolio.counts import evidence_counts_add
from portfolio.models import Evidence, Goal, GoalProgressNote, ShareGrant
from tests import factories as base


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    learner = factory.SubFactory(base.UserFactory)
    kind = Evidence.Kind.CASE_LOG
    title = factory.Sequence(lambda n: f"Evidence {n}")
    body = "What happened and what I learned."
    occurred_on = dt.date(2025, 9, 1)

    @classmethod
    def _create(cls, model_class: type[Evidence], *args: Any, **kwargs: Any) -> Evidence:
        # Written outside the services: the learner's evidence counts follow, as they do there.
        evidence = super()._create(model_class, *args, **kwargs)
        evidence_counts_add(learner_id=evidence.learner_id, by_kind={evidence.kind: 1})
        return evidence


class ReflectionFactory(EvidenceFactory):
    kind = Evidence.Kind.REFLECTION
    title = factory.Sequence(lambda n: f"Reflection {n}")


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    learner = factory.SubFactory(base.UserFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    measure = "Two observed encounters rated 3 or more."
    target_date = dt.date(2026, 6, 30)
    status = Goal.Status.ACTIVE


class GoalProgressNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoalProgressNote

    goal = factory.SubFactory(GoalFactory)
    text = "Made progress."
    noted_on = dt.date(2025, 10, 1)


class ShareGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareGrant

    learner = factory.SubFactory(base.UserFactory)
    grantee = factory.SubFactory(base.UserFactory)
    share_checkins = True


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    learner = factory.SubFactory(base.UserFactory)


class SelfAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfAssessment

    learner = factory.SubFactory(base.UserFactory)
    competency = factory.SubFactory(base.CompetencyFactory)
    level = Decimal("2.5")
    assessed_on = dt.date(2025, 9, 1)

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> SelfAssessment:
        """Refresh the learner's monthly summary and the check-in's day, as the check-in
        service keeps them."""
        row = super()._create(model_class, *args, **kwargs)
        if row.checkin_id is not None:
            checkin_dates_refresh(checkin_ids=[row.checkin_id])
        monthly_summaries_refresh(
            learner_id=row.learner_id,
            rated_by=MonthlyRatingSummary.RatedBy.SELF,
            competency_ids=[row.competency_id],
        )
        return row


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    assessor = factory.SubFactory(base.UserFactory)
    learner = factory.SubFactory(base.UserFactory)
    competency = factory.SubFactory(base.CompetencyFactory)
    level = Decimal("2")
    observed_on = dt.date(2025, 9, 15)

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Assessment:
        return summarised(super()._create(model_class, *args, **on_shipped_form(kwargs)))


def framework_with_tree(
    *, code: str = "im-milestones", version: str = "2.0", domains: int = 2, per_domain: int = 3
) -> tuple[Framework, list[Competency]]:
    """A framework with `domains` domains of `per_domain` ratable sub-competencies each, every
    sub-competency with descriptors for levels 1–5. Returns the framework and its leaves."""
    framework = base.FrameworkFactory(code=code, version=version, name=f"Test {code} {version}")
    leaves: list[Competency] = []
    order = 0
    for d in range(1, domains + 1):
        order += 1
        domain = Competency.objects.create(
            framework=framework, code=f"D{d}", title=f"Domain {d}", order=order
        )
        for s in range(1, per_domain + 1):
            order += 1
            leaf = Competency.objects.create(
                framework=framework,
                parent=domain,
                code=f"D{d}.{s}",
                title=f"Sub-competency {d}.{s}",
                order=order,
            )
            LevelDescriptor.objects.bulk_create(
                LevelDescriptor(competency=leaf, level=Decimal(v), text=f"Looks like level {v}")
                for v in range(1, 6)
            )
            leaves.append(leaf)
    return framework, leaves

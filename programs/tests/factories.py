"""Factories and builders for program and review-period tests (committee tests use them too)."""

from __future__ import annotations

import datetime as dt

import factory

from frameworks.models import Competency, Framework
from programs.models import Program, ReviewPeriod
from programs.signals import review_period_dates_changed
from tests.factories import (
    CompetencyFactory,
    EnrollmentFactory,
    FrameworkFactory,
    ProgramFactory,
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
        # Announced as review_period_create does, so the period rating summary covers it.
        review_period_dates_changed.send(sender=ReviewPeriod, period_id=period.pk)
        return period


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

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from cpd.models import CpdActivity, CreditType, LicensingCycle, add_months
from programs.models import PracticeStage
from tests.factories import UserFactory


def category_1() -> CreditType:
    return CreditType.objects.get(code="ama-pra-category-1")


def category_2() -> CreditType:
    return CreditType.objects.get(code="ama-pra-category-2")


class CpdActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CpdActivity

    occurred_on = factory.LazyFunction(dt.date.today)
    title = factory.Sequence(lambda n: f"Grand rounds {n}")
    provider = "Northbridge CME office"
    credit_type = factory.LazyFunction(category_1)
    hours = Decimal("1.50")
    learner = factory.SubFactory(UserFactory)


class LicensingCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LicensingCycle

    name = "State licence"
    start_date = factory.LazyFunction(lambda: dt.date.today().replace(day=1))
    length_months = 24
    credits_required = Decimal(50)
    category_1_required = Decimal(20)
    end_date = factory.LazyAttribute(lambda o: add_months(o.start_date, o.length_months))


class PracticeStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticeStage

    start_date = factory.LazyFunction(dt.date.today)
    specialty = "Internal medicine"

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from cpd.models import BUILT_IN_CREDIT_TYPES, CpdActivity, CreditType, LicensingCycle, add_months
from programs.models import PracticeStage
from tests.factories import UserFactory


def built_in_credit_type(code: str) -> CreditType:
    """A shipped credit type, put back if a transactional test emptied the table."""
    _, name, is_category_1, order = next(t for t in BUILT_IN_CREDIT_TYPES if t[0] == code)
    return CreditType.objects.get_or_create(
        code=code, defaults={"name": name, "is_category_1": is_category_1, "order": order}
    )[0]


def category_1() -> CreditType:
    return built_in_credit_type("ama-pra-category-1")


def category_2() -> CreditType:
    return built_in_credit_type("ama-pra-category-2")


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

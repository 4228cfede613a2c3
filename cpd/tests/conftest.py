from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cpd.models import BUILT_IN_CREDIT_TYPES
from cpd.tests.factories import built_in_credit_type
from portfolio.tests.factories import framework_with_tree
from programs.models import Enrollment, Expectation


@pytest.fixture(autouse=True)
def _credit_types(db):
    """The shipped credit types: a transactional test elsewhere may have emptied the tables
    the data migration filled."""
    for code, *_ in BUILT_IN_CREDIT_TYPES:
        built_in_credit_type(code)


@pytest.fixture
def leaves(program):
    """The learner's program uses a framework of 2 domains × 3 sub-competencies."""
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    return leaves


@pytest.fixture
def framework(leaves):
    return leaves[0].framework


@pytest.fixture
def graduate(learner, program, leaves, at_year_end):
    """A resident in the last year of a three-year program, which expects 4.5 on the first
    sub-competency at graduation (the default 4 elsewhere); graduated today."""
    Expectation.objects.create(
        program=program, competency=leaves[0], training_year=3, level=Decimal("4.5")
    )
    Enrollment.objects.filter(learner=learner).update(
        start_date=dt.date(2023, 7, 1), training_year=3, end_date=at_year_end
    )
    return learner

"""Role fixtures shared by every app's tests (imported by the root conftest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from tests import factories


@pytest.fixture
def program(db):
    return factories.ProgramFactory()


@pytest.fixture
def other_program(db):
    return factories.ProgramFactory()


@pytest.fixture
def learner(program):
    user = factories.UserFactory(email="learner@example.org")
    factories.EnrollmentFactory(learner=user, program=program)
    return user


@pytest.fixture
def other_learner(other_program):
    user = factories.UserFactory(email="other.learner@example.org")
    factories.EnrollmentFactory(learner=user, program=other_program)
    return user


@pytest.fixture
def coach(program):
    user = factories.UserFactory(email="coach@example.org")
    factories.ProgramRoleFactory(user=user, program=program, role="coach")
    return user


@pytest.fixture
def assessor(program):
    user = factories.UserFactory(email="assessor@example.org")
    factories.ProgramRoleFactory(user=user, program=program, role="faculty")
    return user


@pytest.fixture
def director(program):
    user = factories.UserFactory(email="director@example.org")
    factories.ProgramRoleFactory(user=user, program=program, role="director")
    return user


@pytest.fixture
def other_director(other_program):
    user = factories.UserFactory(email="other.director@example.org")
    factories.ProgramRoleFactory(user=user, program=other_program, role="director")
    return user


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(email="admin@example.org", is_staff=True, is_superuser=True)


# The last day of a July–June training year: there the level expected "now" is the year's
# end level. Before then it is interpolated (programs.expectations), so tests about gaps and
# rankings rather than about the calendar pin today here.
YEAR_END = dt.date(2026, 6, 30)


@pytest.fixture
def at_year_end() -> Iterator[dt.date]:
    with time_machine.travel(dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC), tick=True):
        yield YEAR_END

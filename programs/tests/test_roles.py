"""Roles in a program: only directors (or admins) make or remove directors, never the last."""

import pytest
from django.core.exceptions import ValidationError

from programs import services
from tests.factories import ProgramRoleFactory

pytestmark = pytest.mark.django_db


def test_a_coordinator_cannot_make_anyone_a_director(program, director):
    coordinator = ProgramRoleFactory(program=program, role="coordinator").user

    with pytest.raises(ValidationError, match="Only a director"):
        services.program_role_grant(
            program=program, email=coordinator.email, role="director", by=coordinator
        )
    granted = services.program_role_grant(
        program=program, email="new.director@example.org", role="director", by=director
    )

    assert granted.user.email == "new.director@example.org"


def test_the_last_director_cannot_be_removed(program, director):
    role = director.program_roles.get(program=program)
    with pytest.raises(ValidationError, match="needs a director"):
        services.program_role_revoke(program_role=role, by=director)

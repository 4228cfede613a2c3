"""The single-program lookup behind the committee's pages answers exactly what the
`programs_reviewed_by` selector answers, rights included, for every kind of person."""

from __future__ import annotations

import pytest

from programs.models import ProgramRole
from programs.selectors import program_reviewed_by, programs_reviewed_by
from tests.factories import ProgramFactory, ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

RIGHTS = ("viewer_can_review", "viewer_can_sign_off", "viewer_can_manage")


def _rights(program):
    return None if program is None else tuple(getattr(program, name) for name in RIGHTS)


@pytest.mark.parametrize(
    "roles",
    [
        (),
        ("director",),
        ("coordinator",),
        ("committee",),
        ("faculty",),
        ("coach",),
        ("committee", "coordinator"),
        ("director", "committee"),
    ],
)
def test_the_lookup_agrees_with_the_selector(roles):
    program, other = ProgramFactory(), ProgramFactory()
    user = UserFactory()
    for role in roles:
        ProgramRoleFactory(program=program, user=user, role=role)
    ProgramRoleFactory(program=other, user=user, role=ProgramRole.Role.DIRECTOR)
    expected = programs_reviewed_by(user=user).filter(pk=program.pk).first()
    found = program_reviewed_by(user=user, program_id=program.pk)
    assert _rights(found) == _rights(expected)
    if found is not None:
        assert (found.pk, found.name, found.institution.name) == (
            program.pk,
            program.name,
            program.institution.name,
        )


def test_admins_and_unknown_programs_get_nothing():
    admin = UserFactory(is_superuser=True, is_staff=True)
    program = ProgramFactory()
    assert program_reviewed_by(user=admin, program_id=program.pk) is None
    director = UserFactory()
    ProgramRoleFactory(program=program, user=director, role=ProgramRole.Role.DIRECTOR)
    assert program_reviewed_by(user=director, program_id=program.pk + 1000) is None

"""The API's program administration: settings, enrollment edits, roles, invitation
acceptance — the same rules as the pages, recorded in the audit log."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from programs.models import ProgramRole
from programs.services import invitation_create, invitation_token
from tests.factories import CohortFactory, ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_director_changes_program_settings_and_unsent_fields_stay(client, program, director):
    client.force_login(director)
    before = program.duration_years

    response = client.patch(
        f"/api/v1/programs/{program.pk}/",
        {"specialty": "Internal medicine", "review_months": 3},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["specialty"] == "Internal medicine"
    program.refresh_from_db()
    assert (program.review_months, program.duration_years) == (3, before)
    event = AuditEvent.objects.get(action="program.update")
    assert event.after == {"specialty": "Internal medicine", "review_months": 3}


def test_bad_program_settings_get_field_errors_and_change_nothing(client, program, director):
    client.force_login(director)

    response = client.patch(
        f"/api/v1/programs/{program.pk}/", {"review_months": 5}, content_type="application/json"
    )

    assert response.status_code == 400 and "review_months" in response.json()
    assert not AuditEvent.objects.exists()


def test_a_director_moves_a_learner_to_another_year_and_cohort(client, program, director, learner):
    cohort = CohortFactory(program=program)
    enrollment = learner.enrollments.get()
    client.force_login(director)

    response = client.patch(
        f"/api/v1/programs/{program.pk}/enrollments/{enrollment.pk}/",
        {"training_year": 2, "cohort": cohort.pk},
        content_type="application/json",
    )

    assert response.status_code == 200
    enrollment.refresh_from_db()
    assert (enrollment.training_year, enrollment.cohort) == (2, cohort)


def test_an_enrollment_of_another_program_is_404(client, director, other_learner, program):
    client.force_login(director)
    other = other_learner.enrollments.get()

    response = client.patch(
        f"/api/v1/programs/{program.pk}/enrollments/{other.pk}/",
        {"training_year": 2},
        content_type="application/json",
    )

    assert response.status_code == 404


def test_roles_are_granted_listed_and_revoked_over_the_api(client, program, director):
    client.force_login(director)
    url = f"/api/v1/programs/{program.pk}/roles/"

    granted = client.post(
        url, {"email": "New.Coach@example.org", "role": "coach"}, content_type="application/json"
    )
    listed = client.get(url).json()
    revoked = client.delete(f"{url}{granted.json()['id']}/")

    assert granted.status_code == 201 and granted.json()["email"] == "new.coach@example.org"
    assert {(r["email"], r["role"]) for r in listed} == {
        ("director@example.org", "director"),
        ("new.coach@example.org", "coach"),
    }
    assert revoked.status_code == 204
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "program_role.grant",
        "program_role.revoke",
    ]


def test_the_last_director_cannot_be_removed_over_the_api(client, program, director):
    client.force_login(director)
    role = ProgramRole.objects.get(user=director)

    response = client.delete(f"/api/v1/programs/{program.pk}/roles/{role.pk}/")

    assert response.status_code == 409 and "needs a director" in response.json()["detail"]
    assert ProgramRole.objects.filter(pk=role.pk).exists()


def test_a_coordinator_cannot_make_a_director_over_the_api(client, program):
    coordinator = UserFactory()
    ProgramRoleFactory(program=program, user=coordinator, role="coordinator")
    client.force_login(coordinator)

    response = client.post(
        f"/api/v1/programs/{program.pk}/roles/",
        {"email": "boss@example.org", "role": "director"},
        content_type="application/json",
    )

    assert response.status_code == 400 and "role" in response.json()


def test_an_invitation_is_accepted_over_the_api_once_and_only_by_its_person(
    client, program, director
):
    invited = UserFactory(email="invited@example.org")
    token = invitation_token(
        invitation_create(program=program, by=director, email=invited.email, role="faculty")
    )
    url = "/api/v1/invitations/accept/"
    client.force_login(UserFactory())
    stranger = client.post(url, {"token": token}, content_type="application/json")
    client.force_login(invited)

    accepted = client.post(url, {"token": token}, content_type="application/json")
    again = client.post(url, {"token": token}, content_type="application/json")
    tampered = client.post(url, {"token": token + "x"}, content_type="application/json")

    assert stranger.status_code == 403 and "was sent to invited@" in stranger.json()["detail"]
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert again.status_code == 410 and "already been used" in again.json()["detail"]
    assert tampered.status_code == 404
    assert ProgramRole.objects.filter(user=invited, role="faculty").count() == 1


@pytest.mark.parametrize("size", [2, 7])
def test_the_roles_api_runs_a_fixed_number_of_queries(
    client, program, director, size, django_assert_num_queries
):
    for _ in range(size):
        ProgramRoleFactory(program=program, role="faculty")
    client.force_login(director)
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 program with rights, 4 roles with their people.
        response = client.get(f"/api/v1/programs/{program.pk}/roles/")
    assert len(response.json()) == size + 1

"""Invitations: from a director's form or a roster import, through the emailed link and any
way of signing in, to the program; refused clearly when used, expired, withdrawn, tampered
with, or opened by someone else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.models import User
from audit.models import AuditEvent
from programs.models import Enrollment, Invitation, ProgramRole
from programs.services import (
    INVITATION_DAYS,
    invitation_create,
    invitation_revoke,
)
from tests.factories import PASSWORD, CohortFactory, ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-pass-phrase-42"


def link_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/programs/invitations/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def invite(program, director, mailoutbox, django_capture_on_commit_callbacks):
    """Invite someone (a new resident unless told) and return the invitation and its link."""

    def invite(**overrides):
        values = {"email": "new.resident@example.org", "role": "learner", "training_year": 2}
        values.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(program=program, by=director, **values)
        return invitation, link_path(mailoutbox[-1])

    return invite


def set_up_account(client, path, name="Nia Resident"):
    return client.post(path, {"name": name, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_a_new_person_follows_the_link_sets_up_an_account_and_is_enrolled(
    client, program, director, mailoutbox, invite
):
    cohort = CohortFactory(program=program, name="Class of 2028")
    invitation, path = invite(name="Nia Resident", cohort=cohort)
    assert mailoutbox[0].to == ["new.resident@example.org"]
    assert program.name in mailoutbox[0].subject

    page = client.get(path)
    assert page.status_code == 200
    assert b"Nia Resident" in page.content and b"Set up your account" in page.content

    response = set_up_account(client, path)

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="new.resident@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.display_name == "Nia Resident" and user.check_password(NEW_PASSWORD)
    assert user.emailaddress_set.get().verified
    enrollment = Enrollment.objects.get(learner=user, program=program)
    assert (enrollment.training_year, enrollment.cohort) == (2, cohort)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "invitation.create",
        "invitation.accept",
    }


def test_an_invitation_works_once(client, program, director, mailoutbox, invite):
    _, path = invite()
    set_up_account(client, path)
    client.logout()

    again = client.get(path)

    assert again.status_code == 410
    assert b"already been used" in again.content
    assert (
        Enrollment.objects.filter(
            program=program, learner__email="new.resident@example.org"
        ).count()
        == 1
    )


def test_someone_with_an_account_signs_in_and_the_invitation_is_accepted(
    client, program, director, mailoutbox, invite
):
    person = UserFactory(email="faculty.member@example.org")
    _, path = invite(email=person.email, role="faculty")
    page = client.get(path)
    assert b"Sign in to accept" in page.content

    response = client.post("/accounts/login/", {"login": person.email, "password": PASSWORD})

    assert response.status_code == 302
    assert ProgramRole.objects.filter(program=program, user=person, role="faculty").exists()
    home = client.get("/")
    assert b"you joined as Faculty" in home.content


def test_an_invitation_for_someone_elses_email_is_refused_and_changes_nothing(
    client, program, director, learner, mailoutbox, invite
):
    invitation, path = invite(role="coach")
    client.force_login(learner)

    page = client.get(path)
    joined = client.post(path)

    assert page.status_code == joined.status_code == 403
    assert b"was sent to new.resident@example.org" in page.content
    assert b"signed in as learner@example.org" in page.content
    assert not ProgramRole.objects.filter(user=learner, role="coach").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_signing_in_as_someone_else_after_opening_the_link_is_refused_with_a_message(
    client, program, director, learner, mailoutbox, invite
):
    invitation, path = invite(role="coach")
    client.get(path)

    client.post("/accounts/login/", {"login": learner.email, "password": PASSWORD})
    home = client.get("/")

    assert b"was sent to new.resident@example.org" in home.content
    assert not ProgramRole.objects.filter(user=learner, role="coach").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_expired_invitation_is_refused_with_its_date(
    client, program, director, mailoutbox, invite
):
    _, path = invite()

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=INVITATION_DAYS + 1)):
        page = client.get(path)
        posted = set_up_account(client, path)

    assert page.status_code == posted.status_code == 410
    assert b"expired on" in page.content
    assert not User.objects.filter(email="new.resident@example.org").exists()


def test_a_tampered_link_is_not_valid(client, program, director, mailoutbox, invite):
    _, path = invite()

    response = client.get(path.replace("/invitations/", "/invitations/x"))

    assert response.status_code == 404
    assert b"not valid" in response.content


def test_inviting_again_renews_the_invitation_and_the_old_link_stops_working(
    client, program, director, mailoutbox, invite
):
    first, old_path = invite()
    second, new_path = invite(training_year=3)

    assert first.pk == second.pk and Invitation.objects.count() == 1
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200


def test_a_withdrawn_invitation_is_refused(client, program, director, mailoutbox, invite):
    invitation, path = invite()
    invitation_revoke(invitation=invitation, by=director)

    response = client.get(path)

    assert response.status_code == 410 and b"withdrawn" in response.content


def test_a_coordinator_cannot_invite_a_director(program, mailoutbox):
    coordinator = UserFactory()
    ProgramRoleFactory(program=program, user=coordinator, role="coordinator")

    with pytest.raises(ValidationError):
        invitation_create(
            program=program, by=coordinator, email="boss@example.org", role="director"
        )
    assert not mailoutbox


def test_a_learner_invitation_needs_a_training_year_within_the_program(program, director):
    with pytest.raises(ValidationError) as caught:
        invitation_create(program=program, by=director, email="x@example.org", role="learner")
    assert "training_year" in caught.value.message_dict
    with pytest.raises(ValidationError):
        invitation_create(
            program=program,
            by=director,
            email="x@example.org",
            role="learner",
            training_year=program.duration_years + 1,
        )


def test_a_roster_import_invites_learners_who_never_signed_in(
    client, program, director, mailoutbox, django_capture_on_commit_callbacks
):
    signed_in_before = UserFactory(email="known@example.org")
    signed_in_before.last_login = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    signed_in_before.save()
    data = (
        b"email,name,training_year,start_date\n"
        b"roster.person@example.org,Rosa Roster,2,2025-07-01\n"
        b"known@example.org,,1,2025-07-01\n"
    )
    client.force_login(director)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/programs/{program.pk}/roster/", {"file": _upload(data), "invite": "on"}
        )

    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["roster.person@example.org"]]
    client.logout()
    path = link_path(mailoutbox[0])
    assert b"Rosa Roster" in client.get(path).content
    set_up_account(client, path, name="Rosa Roster")
    person = User.objects.get(email="roster.person@example.org")
    assert person.check_password(NEW_PASSWORD)
    # The roster's enrollment is kept, not doubled.
    assert list(
        Enrollment.objects.filter(learner=person).values_list("training_year", flat=True)
    ) == [2]


def test_the_invitations_api_creates_lists_and_withdraws(
    client, program, director, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(director)
    url = f"/api/v1/programs/{program.pk}/invitations/"

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            url,
            {"email": "api.person@example.org", "role": "faculty"},
            content_type="application/json",
        )
    listed = client.get(url)
    withdrawn = client.delete(f"{url}{created.json()['id']}/")

    assert created.status_code == 201 and created.json()["status"] == "open"
    assert [i["email"] for i in listed.json()["results"]] == ["api.person@example.org"]
    assert withdrawn.json()["status"] == "revoked"
    assert len(mailoutbox) == 1


def test_the_invitations_api_refuses_bad_input_with_field_errors(client, program, director):
    client.force_login(director)

    response = client.post(
        f"/api/v1/programs/{program.pk}/invitations/",
        {"email": "x@example.org", "role": "learner", "training_year": 99},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "training_year" in response.json()


@pytest.mark.parametrize("size", [2, 7])
def test_the_invitation_pages_run_a_fixed_number_of_queries(
    client, program, director, size, django_assert_num_queries
):
    for n in range(size):
        invitation_create(program=program, by=director, email=f"p{n}@example.org", role="coach")
    client.force_login(director)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        # 1 session, 2 user, 3 program with rights, 4 navigation roles, 5 cohorts for the form,
        # 6 a page of invitations.
        client.get(f"/programs/{program.pk}/invitations/")
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 program with rights, 4 a page of invitations.
        client.get(f"/api/v1/programs/{program.pk}/invitations/")


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("roster.csv", data, content_type="text/csv")


def test_the_roster_api_invites_when_asked(
    client, program, director, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(director)
    data = b"email,name,training_year,start_date\napi.roster@example.org,Api Roster,1,2025-07-01\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/programs/{program.pk}/roster/", {"file": _upload(data), "invite": "true"}
        )

    assert response.status_code == 200 and response.json()["invited"] == 1
    assert [m.to for m in mailoutbox] == [["api.roster@example.org"]]


def test_an_invitation_whose_task_was_lost_is_sent_once_by_the_sweeper(
    program, director, mailoutbox
):
    from programs.tasks import invitations_sweep

    # No on-commit callbacks run here: as if the broker never got the task.
    invitation_create(program=program, by=director, email="lost@example.org", role="coach")
    assert invitations_sweep() == 0  # too fresh: left to its own task

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=5)):
        assert invitations_sweep() == 1
        assert invitations_sweep() == 0

    assert [m.to for m in mailoutbox] == [["lost@example.org"]]

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from accounts.tests.helpers import link_in
from portfolio.models import LearnerProfile, TimelineEntry

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-42"


def sign_up(client, email: str, **extra: str):
    return client.post(
        "/accounts/signup/",
        {
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "name": "Sam Person",
            "arrived_as": "resident",
            **extra,
        },
    )


def test_signup_sends_a_verification_email_and_does_not_log_the_person_in(client, mailoutbox):
    response = sign_up(client, "New.Person@Example.org")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get()
    assert user.email == "new.person@example.org"
    assert not EmailAddress.objects.get(user=user).verified
    assert [m.to for m in mailoutbox] == [["new.person@example.org"]]
    assert mailoutbox[0].subject == "[Continuum] Confirm your email address"
    assert "created a Continuum portfolio" in mailoutbox[0].body
    assert "_auth_user_id" not in client.session


def test_a_person_with_an_unconfirmed_address_cannot_log_in(client, mailoutbox):
    sign_up(client, "new.person@example.org")

    response = client.post(
        "/accounts/login/", {"login": "new.person@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session


def test_confirming_the_emailed_link_lets_the_person_log_in(client, mailoutbox):
    sign_up(client, "new.person@example.org")
    link = link_in(mailoutbox[0], "/accounts/confirm-email/")

    page = client.get(link)
    assert page.status_code == 200
    assert b"Confirm my address" in page.content
    client.post(link)
    response = client.post(
        "/accounts/login/", {"login": "NEW.person@example.org", "password": PASSWORD}
    )

    assert EmailAddress.objects.get(email="new.person@example.org").verified
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"].email == "new.person@example.org"


def test_an_invalid_confirmation_link_says_so_without_confirming_anything(client):
    response = client.get("/accounts/confirm-email/not-a-real-key/")

    assert response.status_code == 200
    assert b"has expired or is not valid" in response.content


def test_signup_asks_for_a_name_and_what_brings_the_person(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "arrived_as"}
    assert not User.objects.exists()


def test_signup_sets_the_name_and_starts_the_timeline_at_the_stage_given(client, mailoutbox):
    sign_up(client, "new.person@example.org", arrived_as="physician", where="Harbour Clinic")

    user = User.objects.get()
    assert user.display_name == "Sam Person"
    entry = TimelineEntry.objects.get(learner=user)
    assert (entry.stage, entry.program_name, entry.institution_name, entry.end_date) == (
        "cpd",
        "Practice",
        "Harbour Clinic",
        None,
    )
    assert LearnerProfile.objects.get(learner=user).headline == "Practice, Harbour Clinic"


def test_a_new_persons_first_screen_speaks_to_their_stage(client, mailoutbox):
    sign_up(client, "new.person@example.org", arrived_as="student")
    client.force_login(User.objects.get())

    page = client.get("/")

    assert page.context["outside_stage"].stage == "ume"
    assert b"Your timeline starts with medical school" in page.content

"""From the outside, nobody can learn whether an address has an account."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-42"


def _visible(response) -> tuple[int, str]:
    return response.status_code, response.get("Location", "")


def _page_text(client, response, email: str) -> str:
    """The page the visitor lands on, with the address they typed blanked out."""
    page = client.get(response["Location"])
    return page.content.decode().replace(email, "EMAIL")


def test_signup_with_an_existing_email_looks_exactly_like_a_new_signup(client, mailoutbox):
    UserFactory(email="taken@example.org")

    def attempt(email: str):
        response = client.post(
            "/accounts/signup/",
            {
                "email": email,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "name": "Sam Person",
                "arrived_as": "resident",
            },
        )
        return _visible(response), _page_text(client, response, email)

    taken = attempt("taken@example.org")
    client.logout()
    fresh = attempt("fresh@example.org")

    assert taken == fresh
    assert taken[0] == (302, "/accounts/confirm-email/")
    assert User.objects.filter(email="taken@example.org").count() == 1
    # Both addresses get a message; only their owners can tell the two apart.
    assert sorted(m.to[0] for m in mailoutbox) == ["fresh@example.org", "taken@example.org"]
    taken_mail = next(m for m in mailoutbox if m.to == ["taken@example.org"])
    assert "/accounts/confirm-email/" not in taken_mail.body


def test_password_reset_for_an_unknown_email_looks_exactly_like_one_for_a_known_email(
    client, mailoutbox
):
    UserFactory(email="known@example.org")

    def attempt(email: str):
        response = client.post("/accounts/password/reset/", {"email": email})
        return _visible(response), _page_text(client, response, email)

    known = attempt("known@example.org")
    unknown = attempt("unknown@example.org")

    assert known == unknown
    assert known[0] == (302, "/accounts/password/reset/done/")
    assert sorted(m.to[0] for m in mailoutbox) == ["known@example.org", "unknown@example.org"]
    unknown_mail = next(m for m in mailoutbox if m.to == ["unknown@example.org"])
    assert "/accounts/password/reset/key/" not in unknown_mail.body

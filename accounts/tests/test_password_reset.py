from __future__ import annotations

import pytest

from accounts.tests.helpers import link_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-77"


def test_the_emailed_reset_link_sets_a_new_password_that_logs_in(client, mailoutbox):
    user = UserFactory(email="forgetful@example.org")
    client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
    link = link_in(mailoutbox[0], "/accounts/password/reset/key/")

    # The link swaps its key for a session and redirects, so the key never sits in the page URL.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    form_url = form_page.redirect_chain[-1][0]
    done = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    client.logout()
    login = client.post(
        "/accounts/login/", {"login": "forgetful@example.org", "password": NEW_PASSWORD}
    )
    assert login["Location"] == "/"


def test_a_reset_link_works_only_once(client, mailoutbox):
    UserFactory(email="forgetful@example.org")
    client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
    link = link_in(mailoutbox[0], "/accounts/password/reset/key/")
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    client.logout()

    again = client.get(link, follow=True)

    assert again.status_code == 200
    assert b"This link no longer works" in again.content
    assert b'name="password1"' not in again.content

"""The Django admin's login goes through allauth, so rate limits and MFA apply there too."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_login_sends_visitors_to_the_allauth_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_posting_credentials_to_the_admin_login_does_not_log_in(client, admin_user):
    response = client.post(
        "/admin/login/", {"username": admin_user.email, "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_signed_in_person_without_staff_status_cannot_use_the_admin(client, learner):
    client.force_login(learner)

    assert client.get("/admin/login/").status_code == 403
    assert client.get("/admin/", follow=True).status_code == 403


def test_staff_log_in_through_allauth_and_reach_the_admin(client, admin_user):
    login = client.post(
        "/accounts/login/?next=/admin/",
        {"login": admin_user.email, "password": PASSWORD, "next": "/admin/"},
    )

    assert login["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

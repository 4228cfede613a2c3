"""Two-factor authentication with an authenticator app and recovery codes, for everyone."""

from __future__ import annotations

import base64
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled

from accounts.tests.helpers import totp_code, turn_on_mfa
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return UserFactory(email="person@example.org")


def log_in(client, email: str = "person@example.org", password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def open_activation_page(client):
    log_in(client)
    # Turning MFA on asks for the password again, however recent the login.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    return client.get("/accounts/2fa/totp/activate/")


def test_the_activation_page_shows_a_qr_code_and_the_secret_as_text(client, person):
    page = open_activation_page(client)

    assert page.status_code == 200
    html = page.content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', html).group(1)
    data_uri = re.search(r'<img class="qr" src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    svg = base64.b64decode(data_uri).decode()
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    assert 'alt="QR code' in html
    assert secret == page.context["form"].secret


def test_a_correct_code_turns_on_mfa_and_makes_recovery_codes(client, person):
    page = open_activation_page(client)
    secret = page.context["form"].secret

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    assert is_mfa_enabled(person, [Authenticator.Type.TOTP])
    assert Authenticator.objects.filter(
        user=person, type=Authenticator.Type.RECOVERY_CODES
    ).exists()


def test_a_wrong_code_does_not_turn_on_mfa(client, person):
    page = open_activation_page(client)
    wrong = f"{(int(totp_code(page.context['form'].secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/2fa/totp/activate/", {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not is_mfa_enabled(person)


def test_with_mfa_on_the_password_alone_does_not_log_in(client, person):
    turn_on_mfa(person)

    response = log_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").templates[0].name == "home/welcome.html"


def test_with_mfa_on_a_code_from_the_app_completes_the_login(client, person):
    secret, _ = turn_on_mfa(person)
    log_in(client)

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(person.pk)


def test_a_recovery_code_logs_in_once_only(client, person):
    _, codes = turn_on_mfa(person)
    log_in(client)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]})["Location"] == "/"
    client.post("/accounts/logout/")

    log_in(client)
    again = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})

    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_at_login_is_refused(client, person):
    secret, _ = turn_on_mfa(person)
    log_in(client)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_every_signed_in_person_can_open_the_mfa_settings(client, person):
    client.force_login(person)

    response = client.get("/accounts/2fa/")

    assert response.status_code == 200
    assert b"/accounts/2fa/totp/activate/" in response.content

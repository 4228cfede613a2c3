"""Directors, coordinators and Django staff must set up MFA when ENFORCE_STAFF_MFA is on."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts.tests.helpers import turn_on_mfa
from tests.factories import ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def coordinator(program):
    user = UserFactory(email="coordinator@example.org")
    ProgramRoleFactory(user=user, program=program, role="coordinator")
    return user


@pytest.fixture
def enforced(settings):
    settings.ENFORCE_STAFF_MFA = True


@pytest.mark.parametrize("who", ["director", "coordinator", "admin_user"])
def test_staff_without_mfa_are_sent_to_set_it_up_when_enforced(who, request, client, enforced):
    client.force_login(request.getfixturevalue(who))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


def test_a_plain_django_staff_member_counts_as_staff(client, enforced):
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/frameworks/")["Location"] == ACTIVATE


@pytest.mark.parametrize("who", ["learner", "coach", "assessor"])
def test_people_without_a_staff_role_are_not_asked_for_mfa(who, request, client, enforced):
    client.force_login(request.getfixturevalue(who))

    assert client.get("/").status_code == 200


def test_staff_with_mfa_are_let_through_when_enforced(client, director, enforced):
    turn_on_mfa(director)
    client.force_login(director)

    assert client.get("/").status_code == 200


def test_staff_without_mfa_are_let_through_when_not_enforced(client, director, settings):
    settings.ENFORCE_STAFF_MFA = False
    client.force_login(director)

    assert client.get("/").status_code == 200


def test_staff_without_mfa_can_still_reach_setup_and_log_out(client, director, enforced):
    client.force_login(director)

    assert client.get("/accounts/2fa/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_staff_without_mfa_get_a_json_403_from_the_api_in_a_browser_session(
    client, director, enforced
):
    client.force_login(director)

    response = client.get("/api/v1/me/")

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_the_redirect_tells_staff_why(client, director, enforced):
    client.force_login(director)

    page = client.get("/", follow=True)

    assert b"Your role requires two-factor authentication" in page.content


def test_staff_without_mfa_cannot_make_api_tokens_when_enforced(client, director, enforced):
    client.force_login(director)

    assert client.get("/account/tokens/")["Location"] == ACTIVATE


def _settings_with(env: dict[str, str], monkeypatch) -> dict:
    for name in ("DEBUG", "ENFORCE_STAFF_MFA", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = Path(django_settings.BASE_DIR) / "config" / "settings.py"
    return runpy.run_path(str(path))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50}, True),
        ({"DEBUG": "true"}, False),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ENFORCE_STAFF_MFA": "false"}, False),
        ({"DEBUG": "true", "ENFORCE_STAFF_MFA": "true"}, True),
    ],
    ids=["production-default-on", "debug-default-off", "production-opt-out", "debug-opt-in"],
)
def test_enforcement_defaults_on_when_debug_is_off(env, expected, monkeypatch):
    assert _settings_with(env, monkeypatch)["ENFORCE_STAFF_MFA"] is expected

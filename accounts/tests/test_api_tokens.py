"""Personal API tokens: made on the command line or the tokens page, stored only as a hash."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken, hash_token
from accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return UserFactory(email="person@example.org")


def me(client, key: str):
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")


def test_create_api_token_prints_a_key_that_is_stored_only_as_its_hash(person):
    out = StringIO()

    call_command("create_api_token", "Person@Example.org", stdout=out)

    key = out.getvalue().strip()
    token = ApiToken.objects.get(user=person)
    assert len(key) >= 40
    assert token.key_hash == hash_token(key)
    assert key not in (token.key_hash, token.prefix)
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert token.prefix == key[:8]


def test_create_api_token_for_an_unknown_email_fails(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("create_api_token", "nobody@example.org", stdout=StringIO())


def test_a_token_from_the_command_authenticates_the_me_endpoint(client, person):
    out = StringIO()
    call_command("create_api_token", person.email, stdout=out)

    response = me(client, out.getvalue().strip())

    assert response.status_code == 200
    assert response.json()["email"] == "person@example.org"


@pytest.mark.parametrize(
    "header", ["Token not-a-real-key", "Token ", "Bearer whatever", "Token a b"]
)
def test_a_wrong_token_gets_a_json_401(client, person, header):
    api_token_create(user=person)

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_a_revoked_token_gets_a_json_401(client, person):
    _, key = api_token_create(user=person)
    ApiToken.objects.get(user=person).revoke()

    response = me(client, key)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_token_of_a_deactivated_person_gets_a_json_401(client, person):
    _, key = api_token_create(user=person)
    person.is_active = False
    person.save()

    assert me(client, key).status_code == 401


def test_token_use_is_recorded_at_most_once_a_minute(client, person):
    _, key = api_token_create(user=person)
    me(client, key)
    first = ApiToken.objects.get().last_used_at
    assert first is not None

    me(client, key)
    assert ApiToken.objects.get().last_used_at == first

    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    me(client, key)
    assert ApiToken.objects.get().last_used_at > first


# --- the tokens page ---------------------------------------------------------------------------


def test_the_tokens_page_creates_a_token_and_shows_its_key_only_once(client, person):
    client.force_login(person)

    created = client.post("/account/tokens/", {"name": "Laptop script"})

    key = created.context["new_key"]
    assert created.status_code == 200
    assert key.encode() in created.content
    assert "no-store" in created["Cache-Control"]
    token = ApiToken.objects.get(user=person)
    assert token.name == "Laptop script"
    assert token.key_hash == hash_token(key)
    again = client.get("/account/tokens/")
    assert key.encode() not in again.content
    assert b"Laptop script" in again.content
    assert me(client, key).status_code == 200


def test_a_token_needs_a_name(client, person):
    client.force_login(person)

    response = client.post("/account/tokens/", {"name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_revoking_a_token_on_the_page_stops_it_working(client, person):
    _, key = api_token_create(user=person, name="old")
    token = ApiToken.objects.get()
    client.force_login(person)

    response = client.post(f"/account/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/account/tokens/"
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert me(client, key).status_code == 401
    assert list(client.get("/account/tokens/").context["tokens"]) == []


def test_nobody_can_see_or_revoke_someone_elses_token(client, person):
    api_token_create(user=person, name="mine")
    token = ApiToken.objects.get()
    client.force_login(UserFactory())

    assert b"mine" not in client.get("/account/tokens/").content
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(client, person):
    api_token_create(user=person)
    client.force_login(person)

    assert client.get(f"/account/tokens/{ApiToken.objects.get().pk}/revoke/").status_code == 405


@pytest.mark.parametrize("count", [1, 6])
def test_the_tokens_page_runs_a_fixed_number_of_queries(
    client, person, count, django_assert_num_queries
):
    for n in range(count):
        api_token_create(user=person, name=f"token {n}")
    api_token_create(user=UserFactory(), name="someone else's")
    client.force_login(person)

    # 1 session, 2 user, 3 the person's roles (navigation), 4 the tokens
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(5):
        response = client.get("/account/tokens/")

    assert len(response.context["tokens"]) == count


def test_tokens_are_created_listed_and_revoked_over_the_api_with_the_secret_shown_once(client):
    person = UserFactory()
    client.force_login(person)

    created = client.post(
        "/api/v1/account/tokens/", {"name": "Calendar sync"}, content_type="application/json"
    )
    listed = client.get("/api/v1/account/tokens/").json()["results"]
    key = created.json()["key"]

    assert created.status_code == 201 and len(key) > 30
    assert [t["name"] for t in listed] == ["Calendar sync"]
    assert "key" not in listed[0] and key not in str(listed)
    client.logout()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    client.force_login(person)
    assert client.delete(f"/api/v1/account/tokens/{listed[0]['id']}/").status_code == 204
    client.logout()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_someone_elses_token_cannot_be_revoked_over_the_api(client):
    owner_token, _ = api_token_create(user=UserFactory())
    client.force_login(UserFactory())

    response = client.delete(f"/api/v1/account/tokens/{owner_token.pk}/")

    assert response.status_code == 404
    owner_token.refresh_from_db()
    assert owner_token.revoked_at is None


def test_profile_and_mfa_status_over_the_api(client):
    person = UserFactory(display_name="Old Name")
    client.force_login(person)

    changed = client.patch(
        "/api/v1/account/profile/",
        {"display_name": "New Name", "email": "ignored@example.org"},
        content_type="application/json",
    )
    mfa = client.get("/api/v1/account/mfa/").json()

    assert changed.json()["display_name"] == "New Name"
    assert changed.json()["email"] == person.email
    assert mfa == {"enabled": False, "recovery_codes_left": 0}


@pytest.mark.parametrize("size", [2, 7])
def test_the_token_list_api_runs_a_fixed_number_of_queries(client, size, django_assert_num_queries):
    person = UserFactory()
    for n in range(size):
        api_token_create(user=person, name=f"token {n}")
    client.force_login(person)
    with django_assert_num_queries(3):
        # 1 session, 2 user, 3 a page of active tokens.
        response = client.get("/api/v1/account/tokens/")
    assert len(response.json()["results"]) == size


def test_mfa_status_over_the_api_counts_unused_recovery_codes(client):
    from accounts.tests.helpers import turn_on_mfa

    person = UserFactory()
    _, codes = turn_on_mfa(person)
    client.force_login(person)

    assert client.get("/api/v1/account/mfa/").json() == {
        "enabled": True,
        "recovery_codes_left": len(codes),
    }

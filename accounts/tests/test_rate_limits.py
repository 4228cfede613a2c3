"""Login and password reset attempts are counted in the configured cache and cut off."""

from __future__ import annotations

import uuid

import pytest

from accounts import throttle
from accounts.models import SignInRefusal
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAUSED = b"Too many wrong passwords for this account from your network"
CEILING = b"very large number of failed sign-ins"
WARD = "10.20.30.40"


def fail_login(client, email: str, address: str = WARD):
    return client.post(
        "/accounts/login/", {"login": email, "password": "wrong-password"}, REMOTE_ADDR=address
    )


def sign_in(client, email: str, address: str = WARD):
    return client.post(
        "/accounts/login/", {"login": email, "password": PASSWORD}, REMOTE_ADDR=address
    )


def test_after_five_failures_from_one_address_that_pair_is_paused_and_told_when(client):
    UserFactory(email="target@example.org")
    for _ in range(throttle.PAIR_LIMIT):
        response = fail_login(client, "target@example.org")
        assert response.status_code == 200
        assert PAUSED not in response.content

    refused = sign_in(client, "target@example.org")

    assert refused.status_code == 200
    assert PAUSED in refused.content
    assert b"Try again in 15 minutes" in refused.content
    assert "_auth_user_id" not in client.session


def test_failures_from_another_address_never_refuse_the_right_password(client):
    """Nobody can lock a director out from elsewhere."""
    UserFactory(email="director@example.org")
    for _ in range(throttle.PAIR_LIMIT * 3):
        fail_login(client, "director@example.org", address="203.0.113.9")

    response = sign_in(client, "director@example.org", address="198.51.100.7")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_failures_for_another_account_from_the_same_address_do_not_refuse_a_colleague(client):
    UserFactory(email="target@example.org")
    UserFactory(email="colleague@example.org")
    for _ in range(throttle.PAIR_LIMIT * 2):
        fail_login(client, "target@example.org")

    response = sign_in(client, "colleague@example.org")

    assert response.status_code == 302


def test_a_wards_shift_change_of_typos_refuses_nobody(client):
    people = [UserFactory(email=f"nurse{n}@example.org") for n in range(40)]
    for person in people:
        for _ in range(throttle.PAIR_LIMIT - 1):
            fail_login(client, person.email)

    for person in people[:3]:
        assert sign_in(client, person.email).status_code == 302
        client.logout()


def test_a_correct_password_resets_the_pairs_count(client):
    UserFactory(email="target@example.org")
    for _ in range(throttle.PAIR_LIMIT - 1):
        fail_login(client, "target@example.org")
    assert sign_in(client, "target@example.org").status_code == 302
    client.logout()

    for _ in range(throttle.PAIR_LIMIT - 1):
        fail_login(client, "target@example.org")

    assert sign_in(client, "target@example.org").status_code == 302


def test_an_address_over_the_ceiling_is_refused_for_new_accounts_not_known_ones(
    client, settings, monkeypatch
):
    monkeypatch.setattr(throttle, "ADDRESS_CEILING", 12)
    UserFactory(email="regular@example.org")
    UserFactory(email="newcomer@example.org")
    assert sign_in(client, "regular@example.org").status_code == 302
    client.logout()
    for n in range(12):
        fail_login(client, f"stuffed{n}@example.org")

    newcomer = sign_in(client, "newcomer@example.org")
    regular = sign_in(client, "regular@example.org")
    elsewhere = sign_in(client, "newcomer@example.org", address="198.51.100.7")

    assert CEILING in newcomer.content
    assert regular.status_code == 302
    assert elsewhere.status_code == 302


def test_refusals_are_recorded_once_per_lockout_for_administrators(client):
    UserFactory(email="target@example.org")
    for _ in range(throttle.PAIR_LIMIT):
        fail_login(client, "target@example.org")
    for _ in range(3):
        sign_in(client, "target@example.org")

    refusals = list(SignInRefusal.objects.all())

    assert [(r.email, r.address, r.reason) for r in refusals] == [
        ("target@example.org", WARD, SignInRefusal.Reason.ACCOUNT_AND_ADDRESS)
    ]
    assert refusals[0].retry_at > refusals[0].refused_at


def test_many_sign_ins_from_one_address_are_not_limited(client):
    """allauth's plain per-address limit on the login page is off."""
    user = UserFactory(email="busy@example.org")
    for _ in range(40):
        assert sign_in(client, user.email).status_code == 302
        client.logout()


def test_repeated_password_reset_requests_for_one_address_get_429(client, mailoutbox):
    UserFactory(email="target@example.org")
    for _ in range(5):
        assert (
            client.post("/accounts/password/reset/", {"email": "target@example.org"}).status_code
            == 302
        )

    response = client.post("/accounts/password/reset/", {"email": "target@example.org"})

    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert len(mailoutbox) == 5


@pytest.mark.redis
def test_failed_sign_in_counts_live_in_redis_when_it_is_the_cache(client, settings):
    import redis
    from django.core.cache import cache

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCacheWithFallback",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(settings.REDIS_URL)
    UserFactory(email="target@example.org")
    try:
        for _ in range(throttle.PAIR_LIMIT):
            fail_login(client, "target@example.org")
        refused = sign_in(client, "target@example.org")
        assert PAUSED in refused.content
        assert server.keys(f"{prefix}:*signin:pair:*"), "no sign-in counters in Redis"
    finally:
        cache.clear()


def test_with_redis_down_sign_in_still_works_and_still_throttles(client, settings):
    """The cache falls back to this process's memory (core.cache): nobody gets a 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCacheWithFallback",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "KEY_PREFIX": f"down-{uuid.uuid4().hex}",
        }
    }
    UserFactory(email="target@example.org")
    UserFactory(email="colleague@example.org")
    for _ in range(throttle.PAIR_LIMIT):
        assert fail_login(client, "target@example.org").status_code == 200

    assert PAUSED in sign_in(client, "target@example.org").content
    assert sign_in(client, "colleague@example.org").status_code == 302

"""Login and password reset attempts are counted in the configured cache and cut off."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = b"Too many failed login attempts"


def fail_login(client, email: str):
    return client.post("/accounts/login/", {"login": email, "password": "wrong-password"})


def test_after_five_failed_logins_even_the_right_password_is_refused(client):
    UserFactory(email="target@example.org")
    for _ in range(5):
        response = fail_login(client, "target@example.org")
        assert response.status_code == 200
        assert TOO_MANY not in response.content

    refused = client.post("/accounts/login/", {"login": "target@example.org", "password": PASSWORD})

    assert refused.status_code == 200
    assert TOO_MANY in refused.content
    assert "_auth_user_id" not in client.session


def test_failed_logins_against_one_account_do_not_lock_out_another(client):
    UserFactory(email="target@example.org")
    UserFactory(email="bystander@example.org")
    for _ in range(5):
        fail_login(client, "target@example.org")

    response = client.post(
        "/accounts/login/", {"login": "bystander@example.org", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_too_many_failed_logins_from_one_address_are_refused_for_any_account(client):
    for n in range(10):
        fail_login(client, f"guess{n}@example.org")

    response = fail_login(client, "guess-next@example.org")

    assert TOO_MANY in response.content


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
def test_failed_login_counts_live_in_redis_when_it_is_the_cache(client, settings):
    import redis
    from django.core.cache import cache

    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(settings.REDIS_URL)
    UserFactory(email="target@example.org")
    try:
        for _ in range(5):
            fail_login(client, "target@example.org")
        refused = client.post(
            "/accounts/login/", {"login": "target@example.org", "password": PASSWORD}
        )
        assert TOO_MANY in refused.content
        assert server.keys(f"{prefix}:*"), "no rate-limit counters were written to Redis"
    finally:
        cache.clear()

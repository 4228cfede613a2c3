"""With Redis down, the cache answers from local memory: signing in and pages keep working,
`/healthz` says the cache is unavailable, and Redis is used again once it is back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from tests.factories import UserFactory
from tests.redis_server import RedisServer, free_port

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def own_redis(settings) -> Iterator[RedisServer]:
    """The cache on a redis-server of this test's own (never the shared one)."""
    server = RedisServer(free_port())
    server.start()
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.RedisCacheWithFallback", "LOCATION": server.url}
    }
    try:
        yield server
    finally:
        server.stop()


def _sign_in(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": "pass-for-tests-123"})


def test_signing_in_and_pages_work_while_redis_is_down_and_redis_is_used_again_after(
    client, own_redis
):
    user = UserFactory(password="pass-for-tests-123")
    cache.set("before", "in redis")
    own_redis.stop()
    response = _sign_in(client, user)
    assert response.status_code == 302  # signed in, no 500
    assert client.get("/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["cache"] == "unavailable"
    cache.set("during", "in memory")
    assert cache.get("during") == "in memory"
    own_redis.start()
    assert cache.get("before") is None  # the server kept nothing on disk: Redis again
    cache.set("after", "in redis")
    assert cache.get("after") == "in redis" and cache.get("during") is None
    assert client.get("/healthz").json()["cache"] == "ok"


def test_failed_sign_ins_are_still_counted_while_redis_is_down(client, own_redis):
    user = UserFactory(password="pass-for-tests-123")
    own_redis.stop()
    for _ in range(5):
        wrong = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
        assert wrong.status_code == 200  # the form again, with its error: no 500
    refused = _sign_in(client, user)
    assert (
        refused.status_code == 200
        and b"Too many wrong passwords for this account" in refused.content
    )

"""The cache: Redis, and while Redis cannot be reached, this process's memory.

Signing in counts failed attempts in the cache (accounts.throttle) and pages cache small
things; with a plain Redis backend, every one of those requests answered 500 for as long as
Redis was down. Here a Redis error falls back to a local-memory cache, logged once per outage,
and Redis is tried again on the next call. During an outage each process counts on its own,
which errs towards letting people in rather than locking a ward out; `/healthz` still reports
the cache as unavailable (`redis_reachable`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")
_OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)
# A request must not hang on a dead Redis: connecting and answering each get this long.
_SOCKET_SECONDS = 0.5


class RedisCacheWithFallback(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        options.setdefault("socket_connect_timeout", _SOCKET_SECONDS)
        options.setdefault("socket_timeout", _SOCKET_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._fallback = LocMemCache(f"fallback-{server}", params)
        self._down_since: float | None = None

    def _either(self, redis: Callable[[], T], local: Callable[[], T]) -> T:
        try:
            result = redis()
        except _OUTAGE as error:
            if self._down_since is None:
                self._down_since = time.monotonic()
                logger.warning("cache: Redis unreachable (%s); using local memory", error)
            return local()
        if self._down_since is not None:
            logger.warning("cache: Redis back after %.0f s", time.monotonic() - self._down_since)
            self._down_since = None
        return result

    def redis_reachable(self) -> bool:
        """Whether Redis answers a ping now (the health check's question)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except _OUTAGE:
            return False

    def add(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> bool:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).add(key, value, timeout, version),
            lambda: self._fallback.add(key, value, timeout, version),
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).get(key, default, version),
            lambda: self._fallback.get(key, default, version),
        )

    def set(self, key: Any, value: Any, timeout: Any = None, version: Any = None) -> None:
        self._either(
            lambda: super(RedisCacheWithFallback, self).set(key, value, timeout, version),
            lambda: self._fallback.set(key, value, timeout, version),
        )

    def touch(self, key: Any, timeout: Any = None, version: Any = None) -> bool:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).touch(key, timeout, version),
            lambda: self._fallback.touch(key, timeout, version),
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).delete(key, version),
            lambda: self._fallback.delete(key, version),
        )

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).get_many(keys, version),
            lambda: self._fallback.get_many(keys, version),
        )

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).has_key(key, version),
            lambda: self._fallback.has_key(key, version),
        )

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).incr(key, delta, version),
            lambda: self._fallback.incr(key, delta, version),
        )

    def set_many(self, data: Any, timeout: Any = None, version: Any = None) -> list[Any]:
        return self._either(
            lambda: super(RedisCacheWithFallback, self).set_many(data, timeout, version),
            lambda: self._fallback.set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._either(
            lambda: super(RedisCacheWithFallback, self).delete_many(keys, version),
            lambda: self._fallback.delete_many(keys, version),
        )

    def clear(self) -> None:
        self._either(lambda: super(RedisCacheWithFallback, self).clear(), self._fallback.clear)

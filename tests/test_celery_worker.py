"""Celery for real: a worker thread consuming from Redis runs what was committed, only that."""

from __future__ import annotations

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from config.celery import app, ping
from core.cache import RedisCacheWithFallback


class Rollback(Exception):
    pass


def _wait_for(key: str, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cache.get(key) == "pong":
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def real_worker():
    app.conf.task_always_eager = False
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ):
        yield
    app.conf.task_always_eager = True


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_task_enqueued_on_commit_runs_on_a_real_worker_and_a_rolled_back_one_never_does(
    real_worker,
):
    rolled_back, committed = uuid.uuid4().hex, uuid.uuid4().hex

    with pytest.raises(Rollback), transaction.atomic():
        ping.delay_on_commit(rolled_back)
        raise Rollback
    with transaction.atomic():
        ping.delay_on_commit(committed)
        # Nothing is sent before the commit: the worker cannot have run it yet.
        assert cache.get(f"continuum:ping:{committed}") is None

    assert _wait_for(f"continuum:ping:{committed}"), "the committed task never ran"
    # The worker consumes in order with one slot, so had the rolled-back task been sent it
    # would have run before the committed one.
    assert cache.get(f"continuum:ping:{rolled_back}") is None


@pytest.mark.redis
def test_broker_is_redis_when_redis_url_is_set(settings):
    assert app.conf.broker_url.startswith("redis://")
    # Redis, falling back to local memory only while Redis is down (core.cache).
    backend = caches["default"]
    assert isinstance(backend, RedisCacheWithFallback) and isinstance(backend, RedisCache)


def test_every_beat_schedule_entry_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {"notifications-sweep", "notifications-daily-digests", "coaching-reminders"} <= set(
        schedule
    )
    unknown = {
        name: entry["task"] for name, entry in schedule.items() if entry["task"] not in app.tasks
    }
    assert not unknown

"""Celery application. Without REDIS_URL tasks run inline (eager); with it, on a worker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("continuum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="continuum.ping", ignore_result=True)
def ping(token: str) -> None:
    """Leave a mark in the cache: lets health checks and tests see a worker ran a task."""
    from django.core.cache import cache

    cache.set(f"continuum:ping:{token}", "pong", 300)

"""`/healthz`: is each backing service usable right now?"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app


def _database_ok() -> bool:
    try:
        connection.ensure_connection()
        return connection.is_usable()
    except Exception:  # any driver error means "not usable"
        return False


def _cache_ok() -> bool:
    reachable = getattr(cache, "redis_reachable", None)
    if reachable is not None:  # it answers from local memory while Redis is down
        return bool(reachable())
    try:
        cache.set("healthz-probe", "ok", 10)
        return bool(cache.get("healthz-probe") == "ok")
    except Exception:
        return False


def _broker_ok() -> bool:
    if celery_app.conf.task_always_eager:
        return True  # tasks run inline; there is no broker to reach
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "cache": _cache_ok(), "broker": _broker_ok()}
    body = {name: ("ok" if ok else "unavailable") for name, ok in checks.items()}
    body["broker_mode"] = "inline" if celery_app.conf.task_always_eager else "redis"
    return JsonResponse(body, status=200 if all(checks.values()) else 503)

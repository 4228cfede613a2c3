"""Test settings: the real configuration with fast password hashing and captured email."""

import os
import re
from pathlib import Path


def _worker_environment() -> None:
    """`make test` runs on two pytest-xdist workers (gw0, gw1). pytest-django gives each a
    test database of its own; here each also gets its own Redis database (every test starts by
    flushing the cache) and media directory, through the environment the settings read, so
    that a worker or server a test starts inherits them. A value a test passes explicitly to
    such a child (a throwaway broker's URL) is left alone: the child sees the marker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker or os.environ.get("CONTINUUM_TEST_WORKER"):
        return
    os.environ["CONTINUUM_TEST_WORKER"] = worker
    index = int(worker.removeprefix("gw"))
    media = Path(__file__).resolve().parents[1] / "var" / f"media-{worker}"
    os.environ.setdefault("MEDIA_ROOT", str(media))
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        base = re.search(r"/(\d+)$", redis_url)
        database = ((int(base.group(1)) if base else 0) + 1 + index) % 16
        os.environ["REDIS_URL"] = re.sub(r"(/\d+)?$", f"/{database}", redis_url, count=1)


_worker_environment()

from config.settings import *  # noqa: E402,F403
from config.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "core.staticstorage.StaticFiles"},
}
WHITENOISE_AUTOREFRESH = True

"""Static files answer 200 when they exist and 404 when they do not, in debug and production.

Debug: WhiteNoise looks each request up through the finders (core/staticfiles.py included).
Production: WhiteNoise serves what `collectstatic` put in STATIC_ROOT, by hashed names.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from core.staticfiles import PlotlyFinder

ROOT = Path(__file__).resolve().parents[2]
MISSING = ["nope.css", "vendor/nope.js", "css/nope.css"]
PRESENT = ["vendor/plotly.min.js", "css/app.css"]  # one from the plotly package, one from static/


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _source_sha256(name: str) -> str:
    path = finders.find(name)
    assert path, f"{name} is not in any static files location"
    return _sha256(Path(path).read_bytes())


@pytest.fixture
def debug_static(settings: Any) -> None:
    """The development setup: files found per request, as `runserver` serves them."""
    settings.DEBUG = True
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True


def test_the_plotly_finder_answers_a_miss_as_django_finders_do():
    # `finders.find` returns the first truthy answer and wraps any other that is not a list,
    # so a finder answering None would turn a miss into the "match" [None].
    finder = PlotlyFinder()
    assert finder.find("nope.css") == []
    assert finder.find("nope.css", find_all=True) == []
    assert finders.find("nope.css") is None
    assert finders.find("vendor/nope.js") is None
    assert finders.find("vendor/plotly.min.js") == str(finder.root / "plotly.min.js")
    assert finders.find("vendor/plotly.min.js", find_all=True) == [
        str(finder.root / "plotly.min.js")
    ]


@pytest.mark.parametrize("name", [*MISSING, "vendor/", ""])
def test_a_missing_static_file_is_404_in_debug(debug_static, client, name):
    assert client.get(f"/static/{name}").status_code == 404


@pytest.mark.parametrize("name", PRESENT)
def test_an_existing_static_file_is_served_in_debug(debug_static, client, name):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert _sha256(b"".join(response.streaming_content)) == _source_sha256(name)


# Production settings are read at import, so they run in their own process: collect into a
# temporary STATIC_ROOT, then request through the whole middleware stack. Names the manifest
# knows are requested by their hashed URL; the others by their own.
PRODUCTION_REQUESTS = """
import hashlib, json, sys

import django

django.setup()

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.test import Client, override_settings

with override_settings(STATIC_ROOT=sys.argv[1]):
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()
    answers = {}
    for name in sys.argv[2:]:
        try:
            url = staticfiles_storage.url(name)
        except ValueError:
            url = settings.STATIC_URL + name
        response = client.get(url, secure=True)
        body = b"".join(response.streaming_content) if response.streaming else b""
        answers[name] = {
            "url": url,
            "status": response.status_code,
            "cache_control": response.get("Cache-Control", ""),
            "sha256": hashlib.sha256(body).hexdigest() if response.status_code == 200 else "",
        }
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def production_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("production_static")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY="k3y-for-the-static-files-test-" + "p8Vq2Lr7Zt4Wn9Xc1Bm6Hj3K" * 2,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_REQUESTS, str(tmp / "static"), *MISSING, *PRESENT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return answers


@pytest.mark.parametrize("name", MISSING)
def test_a_missing_static_file_is_404_in_production(production_answers, name):
    answer = production_answers[name]
    assert answer["url"] == f"/static/{name}"
    assert answer["status"] == 404


@pytest.mark.parametrize("name", PRESENT)
def test_a_collected_static_file_is_served_by_its_hashed_name_in_production(
    production_answers, name
):
    answer = production_answers[name]
    stem, extension = name.rsplit(".", 1)
    assert answer["url"].startswith(f"/static/{stem}.")
    assert answer["url"] != f"/static/{name}"  # the manifest's hashed name
    assert answer["url"].endswith(f".{extension}")
    assert answer["status"] == 200
    assert "immutable" in answer["cache_control"]
    assert answer["sha256"] == _source_sha256(name)

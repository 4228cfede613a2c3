"""Static files answer 200 when they exist and 404 when they do not, in debug and production.

Debug: WhiteNoise looks each request up through the finders.
Production: WhiteNoise serves what `collectstatic` put in STATIC_ROOT, by hashed names,
compressed with Brotli (or gzip) for a client that accepts it. The vendored plotly.js is the
unmodified file its README names, and holds every trace type the charts draw.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from core.staticfiles import PLOTLY, plotly_path

ROOT = Path(__file__).resolve().parents[2]
MISSING = ["nope.css", "vendor/nope.js", "css/nope.css"]
PRESENT = [PLOTLY, "css/app.css"]


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


def test_the_vendored_plotly_is_the_unmodified_file_its_readme_names():
    readme = (plotly_path().parent / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `plotly-cartesian"))
    recorded = re.search(r"`([0-9a-f]{64})`", row)
    assert recorded, "the README's row gives no sha256"
    assert _sha256(plotly_path().read_bytes()) == recorded[1]


FIGURE_SOURCES = [
    "portfolio/figures.py",
    "committee/charts.py",
    "committee/packet.py",
    "static/js/portfolio-charts.js",
]
# A trace's type: `type` followed on the next line by a key only traces have (axes and shapes
# have a `type` too, followed by other keys).
TRACE_TYPE = re.compile(r'"?type"?: "(\w+)",\n\s+"?(?:mode|name|x|y|boxpoints|marker)"?:')


def _trace_types_drawn() -> set[str]:
    found: set[str] = set()
    for source in FIGURE_SOURCES:
        found |= set(TRACE_TYPE.findall((ROOT / source).read_text(encoding="utf-8")))
    return found


def test_the_vendored_bundle_holds_every_trace_type_the_charts_draw():
    drawn = _trace_types_drawn()
    assert "scatter" in drawn and "box" in drawn  # the scan finds the traces it should
    source = plotly_path().read_text(encoding="utf-8")
    for trace in drawn:
        # Each trace module registers itself by name in the bundle.
        assert re.search(rf'moduleType:"trace",name:"{trace}"', source), trace


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
        if response.status_code == 200:
            compressed = client.get(url, secure=True, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
            answers[name]["encoding"] = compressed.get("Content-Encoding", "")
            answers[name]["wire_bytes"] = len(b"".join(compressed.streaming_content))
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
        timeout=600,  # collectstatic compresses every file twice (gzip, Brotli)
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


def test_a_browser_accepting_brotli_gets_the_brotli_copy_of_plotly(production_answers):
    answer = production_answers[PLOTLY]
    assert answer["encoding"] == "br"
    # The cartesian bundle is 1.5 MB; on the wire it is well under the 600 KB a page's first
    # chart load may cost.
    assert answer["wire_bytes"] < 450_000

"""`make serve` (bin/serve): the production start, run as is against a throwaway database.

The server is started with DEBUG=false, as behind the TLS proxy: requests carry the header the
proxy sets (`X-Forwarded-Proto: https`, which SECURE_PROXY_SSL_HEADER honours), so
SECURE_SSL_REDIRECT stays on, as in production.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVE = ROOT / "bin" / "serve"
PROXY = {"X-Forwarded-Proto": "https"}


def _environment(tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHON=sys.executable,
        DEBUG="false",
        SECRET_KEY="k3y-for-the-serve-test-" + "Qm4Zr8Tv2Xn6Lp9Wc3Hb7Jd1" * 2,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        WEB_CONCURRENCY="2",
        # gunicorn's control socket defaults to one path in $HOME, shared by every instance.
        GUNICORN_CMD_ARGS="--no-control-socket",
    )
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=PROXY)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """bin/serve running gunicorn on a free port; stopped (its own process group) afterwards."""
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [str(SERVE)],
        cwd=ROOT,
        env=_environment(tmp_path, BIND=f"127.0.0.1:{port}"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"bin/serve exited with {process.returncode}:\n{log.read()}")
            try:
                _get(base + "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not answer within 90 seconds")
                time.sleep(0.3)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@pytest.mark.slow
def test_make_serve_migrates_collects_static_and_serves_pages_and_files(server):
    status, _, body = _get(server + "/healthz")
    assert status == 200, body
    assert json.loads(body)["database"] == "ok"

    status, headers, _ = _get(server + "/")
    assert status in (200, 302)
    location = headers.get("Location", "/accounts/login/")
    assert not location.startswith("http://")  # the proxy's header was honoured

    status, _, page = _get(server + location)
    assert status == 200
    stylesheets = re.findall(rb'href="(/static/[^"]+\.css)"', page)
    assert stylesheets, page[:500]

    for name in stylesheets:
        # A hashed name from the manifest that collectstatic wrote, served by WhiteNoise.
        status, headers, _ = _get(server + name.decode())
        assert status == 200, name
        assert re.search(rb"\.[0-9a-f]{12}\.css$", name)
        assert "immutable" in headers.get("Cache-Control", "")


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"])
def test_make_serve_refuses_to_start_without_a_required_variable(tmp_path, name):
    env = _environment(tmp_path)
    del env[name]

    result = subprocess.run(
        [str(SERVE)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert name in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()


def test_make_serve_refuses_debug(tmp_path):
    result = subprocess.run(
        [str(SERVE)],
        cwd=ROOT,
        env=_environment(tmp_path, DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "DEBUG" in result.stderr

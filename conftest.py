"""Shared fixtures: roles, service markers, and browser plumbing.

Tests that need PostgreSQL, Redis or Chromium carry a marker. Where the service is missing
they are skipped with the reason — unless CONTINUUM_REQUIRE_SERVICES=1 (set by CI), where a
missing service is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from xdist.scheduler import LoadScopeScheduling

REQUIRE_SERVICES = os.environ.get("CONTINUUM_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# there unless told it is safe, and in tests it is (one thread talks to the DB at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _redis_reachable() -> bool:
    url = settings.REDIS_URL
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and not settings.IS_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://…"
    if item.get_closest_marker("redis") and not _redis_reachable():
        return "needs Redis: set REDIS_URL=redis://… to a running server"
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        return f"needs Chromium at {CHROMIUM}: apt-get install chromium"
    if item.get_closest_marker("sso"):
        from tests.sso import oidc_provider, simplesamlphp

        return simplesamlphp.missing() or oidc_provider.missing()
    return None


BROWSER_TESTS = "tests/browser/"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser journeys first: under `make test`'s two workers they are one unit of work (see
    below), which then runs beside the other worker's share of plain tests, not after it."""
    items.sort(key=lambda item: not item.nodeid.startswith(BROWSER_TESTS))


class BrowserJourneysTogether(LoadScopeScheduling):
    """`make test` runs on two pytest-xdist workers. Every browser journey runs on the same
    one: one Chromium at a time keeps journeys within their timeouts on two cores. Each other
    test is a unit of its own, handed to whichever worker is free."""

    def _split_scope(self, nodeid: str) -> str:
        return BROWSER_TESTS if nodeid.startswith(BROWSER_TESTS) else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return BrowserJourneysTogether(config, log)


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"service missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            for marker in ("postgres", "redis", "browser"):
                if marker in getattr(report, "keywords", {}) and report.when == "call":
                    counts[marker] = counts.get(marker, 0) + 1
    if counts:
        terminalreporter.write_line(
            "service tests run: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        )


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks() -> Iterator[None]:
    """Fresh cache per test (rate limits!) and inline tasks unless a test opts into a worker."""
    from django.core.cache import cache

    from config.celery import app

    cache.clear()
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _rows_the_data_migrations_seed(django_db_setup: None, django_db_blocker: Any) -> None:
    """A reused test database (`--reuse-db`) has lost the rows data migrations create (shipped
    scales and forms, built-in credit types) if a transactional test of an earlier run emptied
    the tables last; put them back before any test runs."""
    from django.db import connection

    from assessments.services.forms import shipped_forms_ensure
    from cpd.models import BUILT_IN_CREDIT_TYPES
    from cpd.tests.factories import built_in_credit_type
    from frameworks.scales import shipped_scales_ensure

    name = str(connection.settings_dict["NAME"])
    if not (name.startswith("test_") or "memorydb" in name):
        return  # no collected test uses the database, so pytest-django set up none
    with django_db_blocker.unblock():
        shipped_scales_ensure()
        shipped_forms_ensure()
        for code, *_ in BUILT_IN_CREDIT_TYPES:
            built_in_credit_type(code)


from tests.fixtures import *  # noqa: E402,F403
from tests.sso.fixtures import *  # noqa: E402,F403

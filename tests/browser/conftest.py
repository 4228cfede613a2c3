"""Playwright (sync) on Debian's Chromium against pytest-django's live server.

Fixtures:
- `browser`: one headless Chromium for the whole run.
- `page`: a fresh context per test (desktop, 1280×800), pointed at `live_server`.
- `phone_page`: the same at phone size (390×844, touch).
- `login_as(page, user)`: signs `user` in by session cookie, for journeys that do not test login.
- `second_page`: another desktop context, for a second person in the same journey.
- `second_phone_page`: another phone-sized context (the second phone of "assess me now").
- `snapshot(page, name)`: saves a full-page screenshot to $CONTINUUM_SHOTS_DIR/<name>.png when
  that variable is set (to look at screens while building them); does nothing otherwise.

Every page of these contexts runs under the site's Content Security Policy and reports each
violation: a `securitypolicyviolation` listener (installed before any page script) keeps
`event.violatedDirective` and `event.blockedURI` in `window.__cspViolations` and hands them to
the test, and console errors that mention Content Security Policy are kept too. A context that
saw any fails its test at teardown, so every journey checks the policy.

With CONTINUUM_AXE=1 (always in CI) each context's pages are also checked with axe-core at both
sizes once the test has passed, and a serious or critical violation fails the test that visited
the page (accessibility.py, docs/accessibility.md).

A failing test leaves `test-artifacts/<test-name>.png` behind (the root conftest records each
phase's report on the item as `rep_call`). Every browser test is marked `browser` and
`django_db(transaction=True)`: the live server reads the database from another thread.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.accessibility import AUDIT
from tests.browser.accessibility import ENABLED as AXE_ENABLED

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DEFAULT_TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _artifact_path(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = Path(request.config.rootpath) / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / f"{name}.png"


# Runs in every document before its own scripts. The binding call survives the page being
# navigated away from right after the violation; window.__cspViolations is for a test to read.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var violation = {
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    page: document.location.pathname,
  };
  window.__cspViolations.push(violation);
  if (window.__reportCspViolation) window.__reportCspViolation(violation);
});
"""


def _describe(violation: dict[str, str]) -> str:
    return (
        f"{violation['directive']} blocked {violation['blocked'] or '(inline)'}"
        f" on {violation['page']} (from {violation['source']})"
    )


def watch_csp(context: BrowserContext) -> list[str]:
    """Record every CSP violation in `context`'s pages; returns the (growing) list."""
    seen: list[str] = []

    def on_violation(source: Any, violation: dict[str, str]) -> None:
        seen.append(_describe(violation))

    def on_page(page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                seen.append(f"console on {page.url}: {message.text[:300]}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    context.expose_binding("__reportCspViolation", on_violation)
    context.add_init_script(CSP_LISTENER)
    context.on("page", on_page)
    return seen


def _page_in_new_context(
    request: pytest.FixtureRequest, browser: Browser, base_url: str, **options: Any
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    violations = watch_csp(context)
    AUDIT.origin = base_url
    loaded = AUDIT.watch(context) if AXE_ENABLED else []
    page = context.new_page()
    try:
        yield page
        report = getattr(request.node, "rep_call", None)
        inaccessible = []
        if AXE_ENABLED and report is not None and report.passed:
            inaccessible = AUDIT.check(context, str(options["viewport"]["width"]), loaded)
        for open_page in context.pages:
            for violation in open_page.evaluate("() => window.__cspViolations"):
                violations.append(_describe(violation))
        assert not violations, "Content Security Policy violations:\n" + "\n".join(
            dict.fromkeys(violations)
        )
        assert not inaccessible, "Accessibility violations (axe-core):\n" + "\n".join(inaccessible)
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                page.screenshot(path=str(_artifact_path(request)), full_page=True)
            except Exception as error:  # a screenshot must never hide the real failure
                print(f"could not save a failure screenshot: {error}")
        context.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if AXE_ENABLED and AUDIT.runs:
        for line in AUDIT.summary():
            terminalreporter.write_line(line)


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, live_server: Any) -> Iterator[Page]:
    yield from _page_in_new_context(request, browser, live_server.url, viewport=DESKTOP)


@pytest.fixture
def second_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any
) -> Iterator[Page]:
    yield from _page_in_new_context(request, browser, live_server.url, viewport=DESKTOP)


@pytest.fixture
def phone_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any
) -> Iterator[Page]:
    yield from _page_in_new_context(
        request,
        browser,
        live_server.url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )


@pytest.fixture
def login_as(live_server: Any) -> Callable[[Page, Any], None]:
    """Sign a user in by giving the browser a session cookie made by Django's test client."""

    def sign_in(page: Page, user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in


@pytest.fixture
def snapshot() -> Callable[[Page, str], None]:
    folder = os.environ.get("CONTINUUM_SHOTS_DIR")

    def take(page: Page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def second_phone_page(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any
) -> Iterator[Page]:
    """Another phone-sized context: a second person's phone in the same journey."""
    yield from _page_in_new_context(
        request,
        browser,
        live_server.url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )

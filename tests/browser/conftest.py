"""Playwright (sync) on Debian's Chromium against pytest-django's live server.

Fixtures:
- `browser`: one headless Chromium for the whole run.
- `page`: a fresh context per test (desktop, 1280×800), pointed at `live_server`.
- `phone_page`: the same at phone size (390×844, touch).
- `login_as(page, user)`: signs `user` in by session cookie, for journeys that do not test login.
- `snapshot(page, name)`: saves a full-page screenshot to $CONTINUUM_SHOTS_DIR/<name>.png when
  that variable is set (to look at screens while building them); does nothing otherwise.

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


def _page_in_new_context(
    request: pytest.FixtureRequest, browser: Browser, base_url: str, **options: Any
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                page.screenshot(path=str(_artifact_path(request)), full_page=True)
            except Exception as error:  # a screenshot must never hide the real failure
                print(f"could not save a failure screenshot: {error}")
        context.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, live_server: Any) -> Iterator[Page]:
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

"""Layouts hold any text: with every user-written field filled to its limit by one unbroken
string, no page a learner, coach, assessor or director can reach scrolls sideways at 390 px.

The demo world gives every role real pages to visit. Every text column of the project's own
models that people write (not codes, slugs, tokens, choices or addresses the code looks up)
is then set, in one UPDATE per column, to a string as long as the column allows with no
space in it. Each role then follows the links it is shown from its home page, one URL per
route, and every page is measured. A second test writes a goal through its form.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import DatabaseError, models, transaction
from django.db.models.functions import Cast, Concat, Left
from django.urls import Resolver404, resolve
from playwright.sync_api import Page

from accounts.models import User
from demo import world
from demo.seed import seed_demo
from demo.tests.demo_frameworks import make_demo_frameworks

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Apps whose models hold text people write (Django's and allauth's tables do not; the audit
# log is written by the code and can never be changed).
OWN_APPS = {
    "accounts",
    "notifications",
    "frameworks",
    "programs",
    "portfolio",
    "cpd",
    "handovers",
    "groups",
    "caselog",
    "credentials",
    "equity",
    "assessments",
    "coaching",
    "committee",
    "learning",
    "sso",
    "xapi",
}
# Column names that hold what the code looks up or a machine wrote, not prose.
SYSTEM_WORDS = (
    "slug", "email", "token", "tz", "zone", "key", "hash", "code", "uuid", "status", "kind", "state", "secret",
    "password", "ip", "agent", "provider", "uid", "sha", "digest", "signature", "mime",
    "content_type", "format", "locale", "language", "timezone", "version", "path", "file",
    "verb", "action", "jti", "nonce", "salt", "icon", "colour", "color", "method", "issuer",
    "subject", "audience", "algorithm", "kid", "event", "source", "target", "scheme", "origin",
    "model", "object", "reference", "external", "identifier", "etag", "cursor", "scope",
    "host", "endpoint", "activity_id", "registration", "iri", "lti", "prefix", "fingerprint",
)  # fmt: skip
# TextFields have no column limit; the API and forms cap prose at a few thousand characters.
TEXT_LENGTH = 2000
PHONE_WIDTH = 390
# Links a crawl must not follow: leaving, downloads and machine endpoints.
SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/media/", "/accounts/logout", "/xapi/")
SKIP_SUFFIXES = (".csv", ".ics", ".pdf", ".json", ".zip", ".xml", ".png", ".svg", ".txt")
SKIP_WORDS = ("export", "download", "logout", "print", "csv", "calendar", "archive")
MAX_PAGES_PER_ROLE = 90
# Pages the issue names, photographed (with CONTINUUM_SHOTS_DIR set) to look at.
SHOTS = {
    "goal-detail",
    "shared-goal",
    "coaching-coachee",
    "coaching-goal-thread",
    "program-heatmap",
    "program-distributions",
    "program-enrollments",
    "program-meeting",
}


def _is_prose(field: models.Field[Any, Any]) -> bool:
    if not isinstance(field, models.CharField | models.TextField):
        return False
    if field.choices or field.unique or field.primary_key or isinstance(field, models.EmailField):
        return False
    return not any(word in field.name for word in SYSTEM_WORDS)


def fill_every_text_column() -> list[str]:
    """Set every prose column of our models to one unbroken string at its limit; returns the
    columns filled ("app.Model.field"). Each row gets its own string (its primary key
    first), so unique-together constraints hold."""
    filled = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in OWN_APPS or meta.proxy or not meta.managed:
            continue
        for field in meta.concrete_fields:
            if not _is_prose(field):
                continue
            length = field.max_length or TEXT_LENGTH
            if isinstance(field, models.URLField):
                body = "https://example.org/" + "u" * length
            else:
                body = "W" * length
            value = Left(Concat(Cast("pk", models.CharField()), models.Value(body)), length)
            try:
                with transaction.atomic():
                    model._default_manager.update(**{field.name: value})
            except DatabaseError:  # a constraint or trigger guards the column: leave it
                continue
            filled.append(f"{meta.label}.{field.name}")
    return filled


def photograph(page: Page, name: str) -> None:
    """Save the page to $CONTINUUM_SHOTS_DIR/<name>.png when that is set: the whole page when
    it is no wider than the phone and not too long, else the first screen (a page tens of
    thousands of pixels wide or long is too big to photograph whole)."""
    folder = os.environ.get("CONTINUUM_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        size = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollHeight]")
        whole = size[0] <= PHONE_WIDTH and size[1] <= 6000
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=whole)


def _route(path: str) -> str | None:
    """The route a path belongs to (one visit per route is enough), or None to skip it."""
    if path.startswith(SKIP_PREFIXES) or path.endswith(SKIP_SUFFIXES):
        return None
    if any(word in path for word in SKIP_WORDS):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


def crawl_for_sideways_scroll(page: Page, start: str, role: str) -> tuple[list[str], list[str]]:
    """Visit the pages reachable from `start` (one per route); returns (visited, too wide)."""
    origin = urlsplit(page.url or "http://x").netloc
    seen_routes: set[str] = set()
    queue = deque([start])
    visited: list[str] = []
    too_wide: list[str] = []
    while queue and len(visited) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        path = urlsplit(url).path
        route = _route(path)
        if route is None or route in seen_routes:
            continue
        seen_routes.add(route)
        response = page.goto(url)
        if response is not None and response.status >= 500:
            # Text at its full length must never break a page, sideways or otherwise.
            too_wide.append(f"{role} {path}: server error {response.status}")
            continue
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        visited.append(path)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > PHONE_WIDTH:
            too_wide.append(f"{role} {path}: {scroll}px")
        name = resolve(path).url_name
        if name in SHOTS:
            photograph(page, f"{PHONE_WIDTH}-{role}-{name}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.netloc == origin or not parts.netloc:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return visited, too_wide


@pytest.fixture
def long_text_world(db: Any) -> dict[str, User]:
    make_demo_frameworks()
    seed_demo(today=dt.date.today(), learners=6)
    filled = fill_every_text_column()
    assert len(filled) > 100, filled  # the fill reached the portfolio, coaching, programs …
    logins = {login.role: login.email for login in world.demo_logins()}
    return {
        "learner": User.objects.get(email=logins["learner"]),
        "coach": User.objects.get(email=logins["coach"]),
        "assessor": User.objects.get(email=logins["faculty assessor"]),
        "director": User.objects.get(email=logins["program director"]),
    }


def test_no_page_scrolls_sideways_at_phone_width_with_unbroken_text_everywhere(
    phone_page: Page,
    login_as: Callable[[Page, Any], None],
    long_text_world: dict[str, User],
) -> None:
    problems: list[str] = []
    counts = {}
    for role, user in long_text_world.items():
        phone_page.context.clear_cookies()
        login_as(phone_page, user)
        phone_page.goto("/")
        visited, too_wide = crawl_for_sideways_scroll(phone_page, "/", role)
        counts[role] = len(visited)
        problems += too_wide
    # Each role reached a real share of its pages (a crawl stuck on its first page would
    # prove nothing).
    assert all(n >= 10 for n in counts.values()), counts
    assert not problems, "Pages wider than the phone:\n" + "\n".join(problems)

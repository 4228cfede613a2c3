"""Every HTML page of the authorization matrix's world sends the Content Security Policy with a
fresh nonce, and carries nothing the policy would block: no inline script or event handler,
no inline style. (The browser journeys check what runs; this checks every page we serve.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from core.staticfiles import plotly_style_hashes
from sso.middleware import PAGES_WITH_IDP_BUTTONS, enabled_origins
from tests.authz import ROLES, Row
from tests.test_authorization_matrix import ROWS, world  # noqa: F401 — the matrix's world
from tests.test_health_and_settings import _run_manage

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")
# Pages that draw Plotly charts: the only ones whose policy allows plotly's <style> elements.
CHART_PAGES = {"progress", "program-distributions", "program-packet"}


def _first_role_seeing(row: Row) -> str | None:
    return next((role for role in ROLES if row.expect[role] == 200), None)


HTML_ROWS = [
    pytest.param(row, role, id=row.name)
    for row in ROWS
    if row.method == "GET" and (role := _first_role_seeing(row)) is not None
]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in parts}


class _InlineFinder(HTMLParser):
    """What a strict policy blocks: scripts without src (JSON data islands are not run),
    on* handler attributes, <style> elements and style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and "src" not in named and named.get("type") != "application/json":
            self.found.append(f"inline <script> {named}")
        if tag == "style":
            self.found.append("<style> element")
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f'{name}="…" on <{tag}>')


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role"), HTML_ROWS)
def test_every_html_page_sends_the_policy_with_a_fresh_nonce_and_nothing_inline(
    row: Row,
    role: str,
    world,  # noqa: F811
    client,
):
    person = world.person(role)
    if person is not None:
        client.force_login(person)
    path = row.path(world)
    first, second = client.get(path, **row.extra), client.get(path, **row.extra)
    assert first.status_code == 200, path
    if not first["Content-Type"].startswith("text/html"):
        # JSON, CSV and files carry the policy too, without a nonce: nothing there runs.
        assert "Content-Security-Policy" in first
        assert not NONCE.search(first["Content-Security-Policy"])
        return

    _assert_policy(row.name, first, second)
    finder = _InlineFinder()
    finder.feed(first.content.decode())
    assert finder.found == [], f"{path} has inline code the policy blocks: {finder.found}"


# Account pages that allauth serves, outside the matrix's rows (two-factor set-up asks to
# sign in again first; the account journey opens it in the browser).
ACCOUNT_PAGES = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_account_pages_send_the_policy_with_a_fresh_nonce_and_nothing_inline(
    path: str, learner, client
):
    client.force_login(learner)
    first, second = client.get(path), client.get(path)
    assert first.status_code == 200, path
    _assert_policy(path, first, second)
    finder = _InlineFinder()
    finder.feed(first.content.decode())
    assert finder.found == [], f"{path} has inline code the policy blocks: {finder.found}"


def _assert_policy(name: str, first, second) -> None:
    policy = _directives(first["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # Pages with buttons that lead to an identity provider also allow its origin (docs/sso.md).
    idps = enabled_origins() if name in PAGES_WITH_IDP_BUTTONS else []
    assert policy["form-action"] == ["'self'", *idps]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    header = first["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    nonces = [NONCE.findall(r["Content-Security-Policy"]) for r in (first, second)]
    assert nonces[0] and nonces[1] and nonces[0] != nonces[1]
    assert NONCE.search(" ".join(policy["script-src"]))
    if name in CHART_PAGES:
        assert set(plotly_style_hashes()) <= set(policy["style-src-elem"])
    else:
        assert "style-src-elem" not in policy


def test_form_action_adds_the_identity_providers_named_in_the_environment():
    result = _run_manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))",
        CSP_FORM_ACTION_EXTRA="https://idp.example.org,https://login.example.edu",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "'self'",
        "https://idp.example.org",
        "https://login.example.edu",
    ]


def test_the_api_docs_start_up_script_is_a_file_not_inline(client):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()

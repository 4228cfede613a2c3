"""The axe check itself (accessibility.py): it finds a serious violation at both widths, says
where, and does not check a view twice. Runs whether or not CONTINUUM_AXE is on."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.accessibility import AxeAudit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An image with no text alternative: axe's image-alt, critical.
UNNAMED_IMAGE = """() => {
  const image = document.createElement("img");
  image.src = "/static/img/favicon.svg";
  image.id = "unnamed";
  document.querySelector("main").append(image);
}"""


def test_the_check_fails_a_page_with_a_critical_violation_at_both_widths_once(
    page: Page, live_server: Any
):
    audit = AxeAudit(origin=live_server.url)
    page.goto("/accounts/login/")
    assert audit._check_page(page, "1280") == []  # the login page passes as it is

    audit = AxeAudit(origin=live_server.url)
    page.evaluate(UNNAMED_IMAGE)
    failures = audit._check_page(page, "1280")
    assert len(failures) == 2, failures
    assert failures[0].startswith("image-alt (critical) at 1280 px on /accounts/login/")
    assert failures[1].startswith("image-alt (critical) at 390 px on /accounts/login/")
    assert "#unnamed" in failures[0]
    assert page.viewport_size == {"width": 1280, "height": 800}  # put back
    assert audit._check_page(page, "1280") == []  # each (view, width) once per run
    assert audit.runs == 2
    page.evaluate("() => document.getElementById('unnamed').remove()")


def test_a_tab_that_never_finishes_loading_is_noted_as_not_checked(page: Page, live_server: Any):
    # As a download's navigation can leave a tab: the document is there, its load never comes.
    audit = AxeAudit(origin=live_server.url)
    page.route(
        "**/accounts/login/",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>t</title><main>'
            '<img src="/never.png" alt=""></main></html>',
        ),
    )
    page.route("**/never.png", lambda route: None)  # never answered: no load event
    page.goto("/accounts/login/", wait_until="commit")
    page.set_default_timeout(500)

    assert audit._check_settled_page(page, "1280") == []
    assert audit.skipped == [f"{live_server.url}/accounts/login/: its tab never finished loading"]
    assert audit.runs == 0

    page.unroute_all(behavior="ignoreErrors")
    page.set_default_timeout(10_000)
    page.goto("/accounts/login/")  # a settled page for the fixture's own checks

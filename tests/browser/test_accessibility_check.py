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

"""The phone menu: a "Menu" button in the header opens the section links as a vertical list,
by keyboard as well as by touch; Escape closes it and gives focus back to the button. Wide
screens keep the links in the header row, and without JS the links show as a plain list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tab_to(page: Page, selector: str, limit: int = 8) -> None:
    """Press Tab from the top of the page until `selector` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with {limit} Tabs")


def test_phone_menu_opens_by_keyboard_reaches_a_section_and_closes_with_escape(
    phone_page: Page, login_as: Callable[[Page, Any], None], learner: Any
) -> None:
    login_as(phone_page, learner)
    phone_page.goto("/")
    button = phone_page.get_by_role("button", name="Menu")
    links = phone_page.locator("#main-nav-list")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_have_attribute("aria-controls", "main-nav-list")
    expect(links).to_be_hidden()

    _tab_to(phone_page, ".menu-button")
    phone_page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(links).to_be_visible()
    # A vertical list: each link sits below the one before, and the menu fits the phone.
    tops = [
        box["y"] for box in (link.bounding_box() for link in links.get_by_role("link").all()) if box
    ]
    assert len(tops) >= 5 and tops == sorted(tops) and len(set(tops)) == len(tops), tops
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Tab moves into the list; Escape closes it and focus goes back to the button.
    phone_page.keyboard.press("Tab")
    assert phone_page.evaluate("document.activeElement.closest('#main-nav-list') !== null")
    phone_page.keyboard.press("Escape")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()
    expect(button).to_be_focused()

    # Open again and go to a section with the keyboard alone.
    phone_page.keyboard.press("Enter")
    learning = links.get_by_role("link", name="Learning")
    for _ in range(10):
        phone_page.keyboard.press("Tab")
        if phone_page.evaluate("document.activeElement.textContent.trim() === 'Learning'"):
            break
    expect(learning).to_be_focused()
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_url("**/learning/**")
    current = phone_page.locator("#main-nav-list a[aria-current='page']")
    expect(current).to_have_text("Learning")
    expect(phone_page.get_by_role("button", name="Menu")).to_have_attribute(
        "aria-expanded", "false"
    )


def test_desktop_keeps_the_links_in_the_header_row(
    page: Page, login_as: Callable[[Page, Any], None], learner: Any
) -> None:
    login_as(page, learner)
    page.goto("/")
    expect(page.locator(".menu-button")).to_be_hidden()
    links = page.locator("#main-nav-list").get_by_role("link")
    expect(links.first).to_be_visible()
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links.all()) if box}
    assert len(tops) == 1, tops  # one row, as before the phone menu
    brand = page.locator(".brand").bounding_box()
    first = links.first.bounding_box()
    assert brand and first and abs(brand["y"] - first["y"]) < 30  # beside the brand, not below


def test_without_javascript_the_phone_shows_the_links_as_a_plain_list(
    browser: Browser, live_server: Any, login_as: Callable[[Page, Any], None], learner: Any
) -> None:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": PHONE["width"], "height": PHONE["height"]},
        java_script_enabled=False,
    )
    try:
        page = context.new_page()
        login_as(page, learner)
        page.goto("/")
        expect(page.locator(".menu-button")).to_be_hidden()
        for name in ("My portfolio", "Coaching", "Learning", "Inbox"):
            expect(page.locator("#main-nav-list").get_by_role("link", name=name)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_portfolio_sections_are_one_row_on_a_phone_with_the_current_one_in_view(
    phone_page: Page, login_as: Callable[[Page, Any], None], learner: Any
) -> None:
    """Sixteen portfolio sections wrapped to six rows on a phone, about 300 px before the
    page's own heading; they are one row that scrolls inside itself, starting at the page's
    section, and the page itself stays as wide as the screen."""
    login_as(phone_page, learner)
    phone_page.goto("/export/")
    row = phone_page.locator("nav.subnav ul")
    current = row.locator('[aria-current="page"]')
    expect(current).to_have_text("Export / import")
    links = row.get_by_role("link").all()
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links) if box}
    assert len(links) >= 10 and len(tops) == 1, tops
    assert row.evaluate("ul => ul.scrollWidth > ul.clientWidth")  # it scrolls, inside itself
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The last section is the current one here: the row starts scrolled to show it whole.
    box, shown = current.bounding_box(), row.bounding_box()
    assert (
        box
        and shown
        and shown["x"] <= box["x"]
        and box["x"] + box["width"] <= shown["x"] + shown["width"] + 1
    ), (box, shown)
    heading = phone_page.get_by_role("heading", level=1).bounding_box()
    assert heading and heading["y"] < 260, heading  # the page starts near the top

    # By keyboard: Tab reaches the first section, and the row scrolls to show it.
    first = links[0]
    first.focus()
    expect(first).to_be_focused()
    box = first.bounding_box()
    assert box and box["x"] >= shown["x"] - 1, box


def test_portfolio_sections_wrap_on_a_wide_screen(
    page: Page, login_as: Callable[[Page, Any], None], learner: Any
) -> None:
    login_as(page, learner)
    page.goto("/export/")
    row = page.locator("nav.subnav ul")
    assert row.evaluate("ul => ul.scrollWidth <= ul.clientWidth")  # nothing hidden sideways


def test_observation_sections_are_one_row_per_group_on_a_phone(
    phone_page: Page, login_as: Callable[[Page, Any], None], learner: Any
) -> None:
    login_as(phone_page, learner)
    phone_page.goto("/assessments/evaluations/")
    row = phone_page.get_by_role("list", name="About me")
    current = row.locator('[aria-current="page"]')
    expect(current).to_have_text("Evaluate teaching")
    links = row.get_by_role("link").all()
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links) if box}
    assert len(links) >= 5 and len(tops) == 1, tops
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The last of the row is the current page: scrolled into view, whole.
    box, shown = current.bounding_box(), row.bounding_box()
    assert box and shown and box["x"] + box["width"] <= shown["x"] + shown["width"] + 1

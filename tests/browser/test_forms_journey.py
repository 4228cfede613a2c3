"""Forms as a person meets them: Back after saving does not save twice, and a form sent back
with errors puts the cursor on the first problem (core.once, static/js/forms.js)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import Goal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_goal(page: Page, title: str) -> None:
    page.get_by_label("What will you be able to do?").fill(title)
    page.get_by_label("How will you know you got there?").fill("Two meetings observed")
    page.get_by_label("By when?").fill("2026-06-30")


def test_back_then_save_again_keeps_one_goal_and_says_so(page: Page, login_as, learner):
    login_as(page, learner)
    page.goto("/goals/new/")
    fill_goal(page, "Run a family meeting on my own")
    page.get_by_role("button", name="Save goal").click()
    expect(page.get_by_role("heading", name=re.compile("Run a family meeting"))).to_be_visible()
    first = page.url

    page.go_back()
    expect(page.get_by_role("button", name="Save goal")).to_be_visible()
    # Whatever the browser restored, the person fills the form in and saves again.
    fill_goal(page, "Run a family meeting on my own")
    page.get_by_role("button", name="Save goal").click()

    expect(page.get_by_text("Already saved — this is the goal you created.")).to_be_visible()
    assert page.url == first
    assert Goal.objects.filter(learner=learner).count() == 1


def test_a_form_sent_back_with_errors_focuses_the_first_field_in_error(
    page: Page, login_as, learner
):
    login_as(page, learner)
    page.goto("/goals/new/")
    # The title is left empty; the browser's own check is bypassed as a script or an old
    # browser would.
    page.get_by_label("How will you know you got there?").fill("Two meetings observed")
    page.get_by_label("By when?").fill("2026-06-30")
    page.eval_on_selector("form.card", "form => form.noValidate = true")
    page.get_by_role("button", name="Save goal").click()
    title = page.get_by_label("What will you be able to do?")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    assert not Goal.objects.exists()


def test_text_over_the_limit_is_refused_with_the_limit_shown_never_cut(
    page: Page, login_as, learner
):
    login_as(page, learner)
    page.goto("/goals/new/")
    title = page.get_by_label("What will you be able to do?")
    title.fill("x" * 231)  # as a paste would: the whole text stays in the field
    expect(title).to_have_value("x" * 231)
    expect(page.get_by_text("At most 200 characters (you wrote 231).")).to_be_visible()
    page.get_by_label("How will you know you got there?").fill("Two meetings observed")
    page.get_by_label("By when?").fill("2026-06-30")
    page.get_by_role("button", name="Save goal").click()

    # The server refuses it in the same words, and the cursor is back on the field.
    title = page.get_by_label("What will you be able to do?")
    expect(title).to_be_focused()
    expect(title).to_have_value("x" * 231)
    expect(
        page.locator(".has-error").get_by_text("At most 200 characters (you wrote 231).")
    ).to_be_visible()
    assert not Goal.objects.exists()

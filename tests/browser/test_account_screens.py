"""Every account screen works at phone width: nothing scrolls sideways, every control is named."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from accounts.services import api_token_create
from accounts.tests.helpers import turn_on_mfa
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Controls without a label, aria-label or aria-labelledby, and the page's sideways overflow.
AUDIT = """() => {
  const unnamed = [...document.querySelectorAll('input, select, textarea, button')]
    .filter(el => el.type !== 'hidden' && el.checkVisibility({visibilityProperty: true}))
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.innerText.trim()))
    .map(el => el.outerHTML.slice(0, 120));
  return {unnamed, overflow: document.documentElement.scrollWidth - window.innerWidth,
          h1: [...document.querySelectorAll('h1')].map(h => h.innerText)};
}"""

VISITOR_PAGES = {
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "password-reset": "/accounts/password/reset/",
    "password-reset-done": "/accounts/password/reset/done/",
    "verification-sent": "/accounts/confirm-email/",
}
MEMBER_PAGES = {
    "mfa-index": "/accounts/2fa/",
    "email": "/accounts/email/",
    "password-change": "/accounts/password/change/",
    "api-tokens": "/account/tokens/",
    "reauthenticate": "/accounts/reauthenticate/",
}


def audit(page: Page, path: str) -> dict:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    result = page.evaluate(AUDIT)
    assert result["unnamed"] == [], f"{path}: controls without a name"
    assert result["overflow"] <= 0, f"{path}: scrolls sideways by {result['overflow']}px"
    assert len(result["h1"]) == 1, f"{path}: expected one h1, got {result['h1']}"
    return result


@pytest.mark.parametrize("name", list(VISITOR_PAGES))
def test_visitor_account_pages_fit_a_phone_and_label_every_control(name, phone_page, snapshot):
    audit(phone_page, VISITOR_PAGES[name])
    snapshot(phone_page, f"{name}-phone")


def test_member_account_pages_fit_a_phone_and_label_every_control(phone_page, login_as, snapshot):
    user = UserFactory(email="member@example.org")
    api_token_create(user=user, name="Calendar sync")
    turn_on_mfa(user)
    login_as(phone_page, user)
    for name, path in MEMBER_PAGES.items():
        audit(phone_page, path)
        snapshot(phone_page, f"{name}-phone")


def test_a_new_api_token_is_shown_once_on_the_page(page, login_as, snapshot):
    user = UserFactory(email="member@example.org")
    login_as(page, user)
    page.goto("/account/tokens/")
    page.get_by_label("What is this token for?").fill("Laptop script")
    page.get_by_role("button", name="Create token").click()

    key = page.locator("#new-token-key").inner_text()
    assert len(key) >= 40
    snapshot(page, "api-tokens-created-desktop")
    page.goto("/account/tokens/")
    assert page.locator("#new-token-key").count() == 0
    assert page.get_by_role("cell", name="Laptop script", exact=True).is_visible()

    page.get_by_role("button", name="Revoke token Laptop script").click()
    assert page.get_by_text("You have no active tokens.").is_visible()
    assert user.api_tokens.get().revoked_at is not None


def test_a_failed_login_is_announced_and_keeps_the_typed_email(phone_page, snapshot):
    UserFactory(email="member@example.org")
    phone_page.goto("/accounts/login/")
    phone_page.get_by_label("Email").fill("member@example.org")
    phone_page.get_by_label("Password").fill("not-the-password")
    phone_page.get_by_role("button", name="Log in").click()

    alert = phone_page.get_by_role("alert")
    assert "not correct" in alert.inner_text()
    assert phone_page.get_by_label("Email").input_value() == "member@example.org"
    assert phone_page.evaluate(AUDIT)["unnamed"] == []
    snapshot(phone_page, "login-error-phone")

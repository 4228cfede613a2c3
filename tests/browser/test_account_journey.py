"""A new person signs up, confirms their address, turns on two-factor authentication and
comes back with a code — as they would in a browser."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "new.resident@example.org"
PASSWORD = "a-long-and-unusual-passphrase-42"


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def open_account_menu(page: Page) -> None:
    page.locator(".account-menu summary").click()


def log_in(page: Page, email: str, password: str, snapshot=None, name: str = "") -> None:
    page.goto("/accounts/login/")
    if snapshot:
        snapshot(page, name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_new_person_signs_up_verifies_turns_on_mfa_and_logs_back_in_with_a_code(
    size: str, request, settings, snapshot
):
    page: Page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    # One step of clock tolerance: the code typed at the end must not fail on a 30 s boundary.
    settings.MFA_TOTP_TOLERANCE = 1

    page.goto("/accounts/signup/")
    snapshot(page, f"signup-{size}")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Your name").fill("Sam Person")
    page.get_by_label("I am a resident").check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Until the address is confirmed, the password alone does not let them in.
    log_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    messages = [m for m in mail.outbox if EMAIL in m.to]
    assert messages, "no verification email was sent"
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", messages[-1].body)
    assert link is not None, messages[-1].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm my address").click()

    log_in(page, EMAIL, PASSWORD, snapshot, f"login-{size}")
    expect(page.get_by_role("heading", name="My portfolio")).to_be_visible()
    expect(page.get_by_text("Your portfolio is empty")).to_be_visible()

    open_account_menu(page)
    page.get_by_role("link", name="Two-factor authentication").click()
    page.get_by_role("link", name="Set up an authenticator app").click()
    # Changing how one logs in asks for the password again, however recent the login.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    snapshot(page, f"totp-setup-{size}")
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    snapshot(page, f"recovery-codes-{size}")

    open_account_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    log_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    snapshot(page, f"mfa-code-{size}")
    page.get_by_label("Code").fill(totp_now(secret))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My portfolio")).to_be_visible()
    snapshot(page, f"portfolio-home-{size}")

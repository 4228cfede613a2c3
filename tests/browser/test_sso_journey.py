"""Single sign-on in Chromium through real identity providers started by the test on
`localhost` (SimpleSAMLphp for SAML 2.0, oidc-provider for OpenID Connect) while Continuum is
reached as `127.0.0.1`, so the sign-in crosses sites as it does in production."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.sso.fixtures import (  # noqa: F401 - fixtures
    OidcSetup,
    SamlSetup,
    oidc_setup,
    saml_setup,
    simplesamlphp,
)
from tests.sso.oidc_provider import PEOPLE as OIDC_PEOPLE
from tests.sso.simplesamlphp import PEOPLE as SAML_PEOPLE

pytestmark = [pytest.mark.browser, pytest.mark.sso, pytest.mark.django_db(transaction=True)]


def saml_sign_in(page: Page, setup: SamlSetup, login: str) -> None:
    page.goto(f"{setup.base}/accounts/login/")
    page.get_by_role("button", name="Sign in with Northbridge SSO").click()
    page.wait_for_url(f"{setup.idp.base}**")
    page.locator("input[name=username]").fill(login)
    page.locator("input[name=password]").fill(str(SAML_PEOPLE[login]["password"]))
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{setup.base}/**")


def sign_out(page: Page) -> None:
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()


def test_saml_sign_in_creates_the_account_then_reuses_it_and_single_logout_ends_both(
    page: Page, saml_setup: SamlSetup
):
    saml_sign_in(page, saml_setup, "ada")
    expect(page.locator(".account-menu summary")).to_be_visible()
    user = User.objects.get(email="ada@northbridge.edu")
    assert user.display_name == "Ada Osei"
    linked = SocialAccount.objects.get(user=user)
    assert linked.provider == "northbridge"
    assert linked.uid == "ada@northbridge.edu"  # eduPersonPrincipalName, stable across sessions

    # Single logout: signing out here ends the IdP session too, so the next sign-in asks again.
    sign_out(page)
    page.wait_for_url(f"{saml_setup.base}/accounts/login/**")
    saml_sign_in(page, saml_setup, "ada")
    expect(page.locator(".account-menu summary")).to_be_visible()
    assert User.objects.filter(email="ada@northbridge.edu").count() == 1
    assert SocialAccount.objects.filter(provider="northbridge").count() == 1

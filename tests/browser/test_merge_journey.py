"""A resident who signed up at medical school with another account merges it into the one
they use now: proves the other password (a wrong one is refused), and finds the medical
school's evidence in their portfolio; the old account no longer opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portfolio.tests.factories import EvidenceFactory
from tests import factories
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_resident_merges_the_medical_school_account(size, request, login_as, learner, snapshot):
    page: Page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    student = factories.UserFactory(email="student@school.edu")
    factories.EnrollmentFactory(learner=student, program=factories.ProgramFactory(stage="ume"))
    EvidenceFactory(learner=student, title="Anatomy lab portfolio")

    login_as(page, learner)
    page.goto("/accounts/email/")
    page.get_by_role("link", name="Merge accounts").click()
    expect(page.get_by_role("heading", name="Merge another account into this one")).to_be_visible()
    snapshot(page, f"merge-{size}")

    page.get_by_label("The other account's e-mail address").fill("student@school.edu")
    page.get_by_label("The other account's password").fill("not the password")
    page.get_by_label("Move everything").check()
    page.get_by_role("button", name="Merge the other account into this one").click()
    expect(
        page.get_by_text("That address and password do not open another account.")
    ).to_be_visible()

    page.get_by_label("The other account's password").fill(PASSWORD)
    page.get_by_label("Move everything").check()
    page.get_by_role("button", name="Merge the other account into this one").click()
    expect(page.get_by_text("student@school.edu is now part of this account.")).to_be_visible()

    page.goto("/evidence/")
    expect(page.get_by_text("Anatomy lab portfolio")).to_be_visible()
    student.refresh_from_db()
    assert not student.is_active and not student.has_usable_password()


@pytest.mark.sso
def test_resident_merges_an_account_that_signs_in_through_sso_and_has_a_second_factor(
    page: Page, saml_setup
):
    """The medical school account opens only through the school's SAML sign-in and has an
    authenticator app: the resident proves it by signing in to it at SimpleSAMLphp from the
    merge page, gives its code, and merges it."""
    from allauth.socialaccount.models import SocialAccount

    from privacy.tests.test_merge import totp_code, totp_for

    base = saml_setup.base
    resident = factories.UserFactory(email="ada.osei@example.org")
    student = factories.UserFactory(email="ada@northbridge.edu")
    student.set_unusable_password()
    student.save()
    SocialAccount.objects.create(user=student, provider="northbridge", uid="ada@northbridge.edu")
    EvidenceFactory(learner=student, title="Anatomy lab portfolio")
    secret = totp_for(student)

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(resident.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".account-menu summary")).to_be_visible()

    page.goto(f"{base}/account/merge/")
    page.get_by_role("button", name="Sign in to the other account through Northbridge SSO").click()
    page.wait_for_url(f"{saml_setup.idp.base}**")
    page.locator("input[name=username]").fill("ada")
    page.locator("input[name=password]").fill("ada-secret")
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{base}/account/merge/**")
    expect(page.locator("#merge-proven")).to_contain_text("Northbridge SSO")
    expect(
        page.get_by_role("heading", name="The other account: ada@northbridge.edu")
    ).to_be_visible()

    # The second factor is asked for; a wrong code changes nothing.
    page.get_by_label("Move everything").check()
    page.get_by_label("The other account's authenticator code").fill("000000")
    page.get_by_role("button", name="Merge the other account into this one").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()
    page.get_by_label("The other account's authenticator code").fill(totp_code(secret))
    page.get_by_label("Move everything").check()
    page.get_by_role("button", name="Merge the other account into this one").click()
    expect(page.get_by_text("ada@northbridge.edu is now part of this account.")).to_be_visible()

    page.goto(f"{base}/evidence/")
    expect(page.get_by_text("Anatomy lab portfolio")).to_be_visible()
    student.refresh_from_db()
    assert not student.is_active
    assert SocialAccount.objects.get(provider="northbridge").user == resident

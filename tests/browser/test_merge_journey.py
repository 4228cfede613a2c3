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

"""Equity: a learner records a characteristic, reads who sees it, and deletes it; a director
opens the equity view from the program's tabs and sees a withheld cell and an adjusted
difference with its interval; the view works at phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from equity.models import Characteristic
from equity.services import equity_fits_refresh
from equity.tests.factories import TODAY, equity_world, gender_category
from tests.factories import ProgramRoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_records_reads_who_sees_it_and_deletes_a_characteristic(
    page: Page, login_as, program, learner
):
    gender_category(program.institution)
    login_as(page, learner)
    page.goto("/")
    page.get_by_role("navigation", name="Portfolio").get_by_role("link", name="About me").click()
    expect(page.get_by_role("heading", name="Who sees what")).to_be_visible()
    expect(page.get_by_text("only you.", exact=False)).to_be_visible()
    page.get_by_role("combobox", name="Gender").select_option(label="Non-binary")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Only you can see your answers.")).to_be_visible()
    expect(page.get_by_role("combobox", name="Gender")).to_have_value("non-binary")
    page.get_by_role("button", name="Delete my answer about Gender").click()
    expect(page.get_by_text("It will not be counted in any later analysis.")).to_be_visible()
    assert not Characteristic.objects.filter(learner=learner).exists()


def test_a_director_sees_a_withheld_cell_and_an_adjusted_difference_with_its_interval(
    page: Page, phone_page: Page, login_as, snapshot
):
    world = equity_world()
    equity_fits_refresh(institution=world.program.institution, today=TODAY)
    director = UserFactory(email="equity.director@example.org")
    ProgramRoleFactory(user=director, program=world.program, role="director")

    login_as(page, director)
    page.goto(f"/programs/{world.program.pk}/")
    page.get_by_role("navigation", name=world.program.name).get_by_role(
        "link", name="Equity"
    ).click()
    expect(page.get_by_role("heading", name="Equity view")).to_be_visible()
    expect(page.get_by_test_id("freshness")).to_contain_text("Fitted")
    estimates = page.get_by_test_id("estimates")
    row = estimates.get_by_role("row").filter(has_text="Man, against Woman").first
    expect(row).to_be_visible()
    expect(row).to_contain_text(" to ")  # the 95 % interval
    ratings = page.get_by_test_id("cells-rating")
    expect(ratings.locator("[data-suppressed]").first).to_contain_text(
        "withheld: fewer than 5 learners"
    )
    # Another competency, chosen with the keyboard-usable filter form.
    page.get_by_label("Competency").select_option(index=1)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("estimates")).to_be_visible()
    snapshot(page, "equity-view")

    login_as(phone_page, director)
    phone_page.goto(f"/equity/?scope=program:{world.program.pk}")
    expect(phone_page.get_by_role("heading", name="Equity view")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1

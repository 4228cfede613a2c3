"""A resident graduates and carries on alone: the director ends the last enrollment; the
graduate continues into practice on their own (on a phone), keeps their targets, checks in,
logs a CPD activity, sets their licensing cycle and sees its totals and what is still needed.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import CheckIn
from cpd.models import BUILT_IN_CREDIT_TYPES, CpdActivity
from cpd.tests.factories import built_in_credit_type
from portfolio.tests.factories import framework_with_tree
from programs.models import Enrollment, PracticeStage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_a_resident_graduates_and_carries_on_into_practice_alone(
    page: Page, phone_page: Page, login_as, learner, program, director, snapshot
):
    # A transactional test starts from an emptied database: the shipped credit types again.
    for code, *_ in BUILT_IN_CREDIT_TYPES:
        built_in_credit_type(code)
    framework, leaves = framework_with_tree(code="im-practice", domains=2, per_domain=3)
    program.frameworks.add(framework)
    today = timezone.localdate()
    enrollment = Enrollment.objects.get(learner=learner)
    enrollment.start_date = today.replace(year=today.year - 3)
    enrollment.training_year = 3
    enrollment.save()

    # The director marks the graduation: the enrollment ends today.
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/enrollments/{enrollment.pk}/")
    page.get_by_label("End date").fill(today.isoformat())
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.get_by_text("Enrollment updated.")).to_be_visible()
    enrollment.refresh_from_db()
    assert enrollment.end_date == today

    # On a phone, the graduate finds check-ins closed and continues into practice alone.
    phone = phone_page
    login_as(phone, learner)
    phone.goto("/assessments/check-in/")
    phone.get_by_role("link", name="you continue into practice").click()
    expect(phone.get_by_role("heading", name="Continue into practice")).to_be_visible()
    no_sideways_scroll(phone)
    phone.get_by_label("Specialty").fill("Hospital medicine")
    phone.get_by_label(re.compile(framework.name)).check()
    phone.get_by_role("button", name="Continue into practice").click()
    expect(phone.get_by_role("heading", name="Practice · Hospital medicine")).to_be_visible()
    snapshot(phone, "practice-targets-phone")
    no_sideways_scroll(phone)
    stage = PracticeStage.objects.get(learner=learner)
    assert stage.end_date is None

    # Targets start at the graduation level; the learner raises one.
    target = phone.get_by_label(f"Target for {leaves[0].code}")
    expect(target).to_have_value("4.0")
    target.select_option("5.0")
    phone.get_by_role("button", name="Save targets").click()
    expect(phone.get_by_text("Targets saved.")).to_be_visible()
    expect(phone.get_by_label(f"Target for {leaves[0].code}")).to_have_value("5.0")

    # Check-ins work again, on the frameworks they follow.
    phone.goto("/assessments/check-in/")
    expect(phone).to_have_url(re.compile(rf"/assessments/check-in/{framework.pk}/$"))
    for leaf in leaves:
        phone.locator(f"label[for='level-{leaf.pk}-4']").click()
    phone.get_by_role("button", name="Save check-in").click()
    expect(phone.get_by_role("heading", name=re.compile("Check-in"))).to_be_visible()
    assert CheckIn.objects.filter(learner=learner).count() == 1

    # The progress page shows their own targets as what is expected now.
    phone.goto("/progress/")
    expect(phone.get_by_text(re.compile("Practice · Hospital medicine · since"))).to_be_visible()

    # A CPD activity, then the licensing cycle.
    phone.goto("/cpd/")
    expect(phone.get_by_role("heading", name=re.compile("CPD diary"))).to_be_visible()
    phone.get_by_role("link", name="Log an activity").click()
    phone.get_by_label("Title").fill("Point-of-care ultrasound course")
    phone.get_by_label("Provider").fill("State society of hospital medicine")
    phone.get_by_label("Credit type").select_option(label="AMA PRA Category 1 Credit")
    phone.get_by_label("Credits (hours)").fill("6.5")
    phone.locator("select[name=competencies]").select_option(str(leaves[0].pk))
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="Save activity").click()
    expect(phone.get_by_text("Activity logged.")).to_be_visible()
    expect(phone.get_by_role("link", name="Point-of-care ultrasound course")).to_be_visible()
    assert CpdActivity.objects.filter(learner=learner).count() == 1

    phone.get_by_role("link", name="Licensing cycles").click()
    phone.get_by_label("Licence or certification").fill("State medical licence")
    phone.get_by_label("Cycle starts").fill(today.replace(day=1).isoformat())
    phone.get_by_label("Length (months)").fill("24")
    phone.get_by_label("Credits required").fill("50")
    phone.get_by_label("Of which AMA PRA Category 1").fill("20")
    phone.get_by_role("button", name="Save cycle").click()
    expect(phone.get_by_role("heading", name="State medical licence")).to_be_visible()
    expect(phone.get_by_text("6.50 of 50 credits")).to_be_visible()
    expect(phone.locator("[data-still-needed]")).to_have_text("43.50")
    expect(phone.locator("[data-category-1-still-needed]")).to_have_text("13.50")
    snapshot(phone, "practice-cpd-phone")
    no_sideways_scroll(phone)

    # The transcript prints; its CSV is a download away.
    phone.get_by_role("link", name="Transcript").click()
    expect(phone.get_by_role("heading", name="CPD transcript")).to_be_visible()
    expect(phone.get_by_role("cell", name="Point-of-care ultrasound course")).to_be_visible()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("cpd-transcript")

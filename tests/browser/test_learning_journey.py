"""A resident uploads tomorrow's appointments, sees short refreshers with their reasons, marks
one done as evidence, and finds it in their portfolio — as they would in a browser."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import Page, expect

from assessments.models import SelfAssessment
from frameworks.models import Competency
from learning.models import Recommendation, UpcomingVisit
from learning.tests.factories import epa_framework, fhir_text, im_framework
from portfolio.models import Evidence
from programs.models import Enrollment
from programs.selectors import current_enrollments, expected_levels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def resident(learner, program):
    """A PGY-2 in a program using the IM milestones, with the starter catalogue loaded."""
    framework = im_framework()
    epa_framework()
    program.frameworks.add(framework)
    Enrollment.objects.filter(learner=learner).update(training_year=2)
    call_command("load_learning_catalogue", verbosity=0)
    pc3 = Competency.objects.get(framework=framework, code="PC3")
    # 1.5 below the level expected today (it rises through the training year).
    enrollments = current_enrollments(learner=learner)
    expected = expected_levels(enrollments=enrollments, competencies=[pc3])[pc3.pk]
    SelfAssessment.objects.create(
        learner=learner,
        competency=pc3,
        level=expected - Decimal("1.5"),
        assessed_on=timezone.localdate(),
    )
    return learner


def test_resident_uploads_visits_reviews_refreshers_and_keeps_one_as_evidence(
    page: Page, resident, login_as, snapshot, tmp_path
):
    bundle = tmp_path / "upcoming.json"
    bundle.write_text(fhir_text("bundle.json"))
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    weekday = date_format(tomorrow, "l")
    login_as(page, resident)

    page.goto("/learning/visits/")
    page.get_by_label("Your Practitioner id in the EHR").fill("pr-learner")
    page.get_by_label("FHIR R4 Bundle (JSON file)").set_input_files(str(bundle))
    page.get_by_role("button", name="Read the bundle").click()
    expect(page.get_by_text("3 upcoming visits kept")).to_be_visible()
    expect(page.get_by_text("Practitioner/pr-learner (you) is not a participant")).to_be_visible()
    snapshot(page, "learning-upload")
    assert UpcomingVisit.objects.filter(learner=resident).count() == 3

    page.get_by_role("link", name="See what to review before clinic").click()
    heading = page.get_by_role(
        "heading", name=f"Before your clinic on {weekday}: three short refreshers"
    )
    expect(heading).to_be_visible()
    clinic = page.locator("section.clinic-day").first
    expect(clinic.locator(".reason")).to_have_count(3)
    expect(clinic.locator(".reason").first).to_contain_text(f"Your visit on {weekday}")
    snapshot(page, "learning-upcoming")

    first = clinic.locator("ol > li").first
    title = first.locator("h3").inner_text().replace(" (opens the resource in a new tab)", "")
    first.get_by_role("button", name="Done — add as evidence").click()
    expect(
        page.get_by_text(f"added to your portfolio as evidence: Completed: {title}")
    ).to_be_visible()
    # Done resources leave the list; the day's list fills up from the next matches.
    expect(
        page.locator("section.clinic-day").first.get_by_role("heading", name=title)
    ).to_have_count(0)
    snapshot(page, "learning-upcoming-after-done")

    page.goto("/evidence/")
    expect(page.get_by_role("link", name=f"Completed: {title}")).to_be_visible()
    snapshot(page, "learning-evidence")
    evidence = Evidence.objects.get(learner=resident)
    assert "Why it was recommended: Your visit on" in evidence.body

    page.goto("/learning/recommendations/")
    expect(
        page.get_by_text("PC3 is 1.5 levels below what is expected in PGY-2").first
    ).to_be_visible()
    snapshot(page, "learning-recommendations")

    # One primary action per recommendation; the rest wait in its "More" menu.
    card = page.locator("ol.item-list > li.card").first
    expect(card.get_by_role("button")).to_have_count(1)
    expect(card.get_by_role("button", name="Done — add as evidence")).to_be_visible()
    title = card.locator(".h3").inner_text().replace(" (opens the resource in a new tab)", "")
    card.locator("summary", has_text="More").click()
    menu = card.locator(".more-menu")
    for name in ("Done, without evidence", "Helpful", "Not relevant", "Dismiss"):
        expect(menu.get_by_role("button", name=name)).to_be_visible()
    snapshot(page, "learning-recommendations-more")
    menu.get_by_role("button", name="Not relevant").click()
    expect(page.get_by_role("heading", name="Recommended for you")).to_be_visible()
    feedback = Recommendation.objects.get(learner=resident, resource__title=title)
    assert feedback.rating == "not_relevant"


def test_the_upcoming_page_reads_well_on_a_phone(
    phone_page: Page, resident, login_as, snapshot, client
):
    client.force_login(resident)
    client.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        fhir_text("bundle.json"),
        content_type="application/json",
    )
    login_as(phone_page, resident)

    phone_page.goto("/learning/upcoming/")
    expect(phone_page.locator("section.clinic-day .reason").first).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    snapshot(phone_page, "learning-upcoming-phone")
    phone_page.goto("/learning/visits/")
    snapshot(phone_page, "learning-visits-phone")
    phone_page.goto("/learning/?code=E11.9")
    expect(
        phone_page.get_by_role("link", name="Type 2 diabetes: when and how to intensify therapy")
    ).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    snapshot(phone_page, "learning-catalogue-phone")

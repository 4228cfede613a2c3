"""A resident takes their whole record to the next program: they export at the old place
(a signed-off committee review they answered, its graduation-level milestone credential, a
coaching meeting's shared notes, a CPD activity); their account at the new place imports the
archive on a phone, reads the report, finds the CPD activity in their own diary, and reads
the review and the meeting as records kept with their authors' names."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from coaching.models import CoachingRelationship, Meeting
from committee.services import review_respond
from cpd.services import cpd_activity_record
from cpd.tests.factories import category_1
from credentials.tests.factories import issuer_key, milestones, reviewed
from tests import factories as base

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_carries_reviews_coaching_and_cpd_to_their_next_account(
    page: Page, phone_page: Page, login_as, program, learner, director, snapshot, tmp_path
):
    issuer_key(program)
    leaves = milestones(program)
    review = reviewed(
        program=program, learner=learner, by=director, levels={leaves[0].pk: "4", leaves[1].pk: "3"}
    )
    review_respond(review=review, learner=learner, text="I will practise family meetings.")
    coach = base.UserFactory(display_name="Nadia Osei")
    relationship = CoachingRelationship.objects.create(
        learner=learner,
        coach=coach,
        program=program,
        origin=CoachingRelationship.Origin.PROGRAM,
        status=CoachingRelationship.Status.ACTIVE,
    )
    Meeting.objects.create(
        relationship=relationship,
        learner=learner,
        coach=coach,
        starts_at=timezone.now() - dt.timedelta(days=3),
        status=Meeting.Status.HELD,
        shared_notes="Agreed: one observed family meeting a month.",
        private_notes="Not for the learner.",
    )
    cpd_activity_record(
        learner=learner,
        occurred_on=timezone.localdate() - dt.timedelta(days=10),
        title="Sepsis update",
        credit_type=category_1().code,
        hours=Decimal("1.5"),
    )

    # At the old place: export and download the archive.
    login_as(page, learner)
    page.goto("/export/")
    page.get_by_role("button", name="Export my portfolio").click()
    expect(page.get_by_role("link", name="Download the archive")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the archive").click()
    archive = tmp_path / "portfolio.zip"
    Path(download.value.path()).replace(archive)

    # The new account imports it, on a phone.
    newcomer = base.UserFactory(email="resident@next.example.org")
    login_as(phone_page, newcomer)
    phone_page.goto("/export/")
    phone_page.get_by_label("Portfolio archive (.zip)").set_input_files(str(archive))
    phone_page.get_by_role("button", name="Import").click()
    summary = phone_page.locator("[data-report-summary]")
    expect(summary).to_contain_text("1 committee review")
    expect(summary).to_contain_text("1 CPD activity")
    expect(summary).to_contain_text("1 coaching meeting")
    snapshot(phone_page, "archive-import-report-phone")

    # Their own diary has the activity; others' words are kept records, with their names.
    phone_page.goto("/cpd/")
    expect(phone_page.get_by_text("Sepsis update")).to_be_visible()
    phone_page.goto("/export/")
    phone_page.get_by_role("link", name="records from earlier programs").click()
    expect(phone_page.get_by_role("heading", name="Records from earlier programs")).to_be_visible()

    def card(section: str) -> Locator:
        heading = phone_page.get_by_role("heading", name=re.compile(f"^{section}: "))
        return phone_page.get_by_role("listitem").filter(has=heading)

    review_card = card("Committee review")
    expect(review_card).to_contain_text(f"By {director.name}")
    review_card.get_by_text("The whole record").click()
    expect(review_card.locator("pre")).to_contain_text("I will practise family meetings.")
    meeting_card = card("Coaching meeting")
    expect(meeting_card).to_contain_text("By Nadia Osei")
    meeting_card.get_by_text("The whole record").focus()
    phone_page.keyboard.press("Enter")
    expect(meeting_card.locator("pre")).to_contain_text("one observed family meeting a month")
    expect(phone_page.get_by_text("Not for the learner.")).to_have_count(0)
    expect(card("Credential")).to_contain_text("Graduation level reached")
    # Nothing scrolls sideways at 390 px.
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    snapshot(phone_page, "archive-records-phone")

"""Three learners form a learning group: one shares a piece of evidence and asks the group for
feedback, the other two answer (one on a phone, by keyboard alone), the asker reads both
answers (each responder reads only their own), then the asker leaves and the shared item is
gone from the group for those who stay."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import AccessLog
from portfolio.tests.factories import EvidenceFactory
from tests import factories as base

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_three_learners_share_ask_answer_and_a_leaver_takes_their_share_away(
    page: Page, second_page: Page, phone_page: Page, login_as, snapshot
):
    ana = base.UserFactory(email="ana@example.org", display_name="Ana Rivera")
    ben = base.UserFactory(email="ben@example.org", display_name="Ben Osei")
    cy = base.UserFactory(email="cy@example.org", display_name="Cy Park")
    evidence = EvidenceFactory(
        learner=ana, title="Sepsis admission write-up", body="Lactate 4.1; fluids in 30 minutes."
    )
    EvidenceFactory(learner=ana, title="A private reflection", kind="reflection")

    # Ana starts the group and invites the other two.
    login_as(page, ana)
    page.goto("/groups/")
    page.get_by_label("Name").fill("Ward-round study group")
    page.get_by_role("button", name="Start the group").click()
    expect(page.get_by_role("heading", name="Ward-round study group")).to_be_visible()
    for person in (ben, cy):
        page.get_by_text("Invite someone").click()
        page.get_by_label("E-mail address of the person to invite").fill(person.email)
        page.get_by_role("button", name="Invite", exact=True).click()
        expect(page.get_by_text(f"Invited {person.name}.")).to_be_visible()

    # Both accept; Cy on a phone, with the keyboard.
    login_as(second_page, ben)
    second_page.goto("/groups/")
    second_page.get_by_role("button", name="Join Ward-round study group").click()
    expect(second_page.get_by_text("Welcome to Ward-round study group.")).to_be_visible()
    login_as(phone_page, cy)
    phone_page.goto("/groups/")
    phone_page.get_by_role("button", name="Join Ward-round study group").focus()
    phone_page.keyboard.press("Enter")
    expect(phone_page.get_by_text("Welcome to Ward-round study group.")).to_be_visible()
    _no_sideways_scroll(phone_page)

    # Ana shares one piece of evidence and asks for feedback on it.
    page.reload()
    page.get_by_label("Share a piece of your evidence or a reflection").select_option(
        str(evidence.public_id)
    )
    page.get_by_role("button", name="Share with the group").click()
    expect(page.get_by_text("Shared with the group.")).to_be_visible()
    page.get_by_text("Ask the group for feedback").click()
    page.get_by_label("On a piece of your evidence").select_option(str(evidence.public_id))
    page.get_by_label("What would you like feedback on?").fill("Is the plan clear?")
    page.get_by_role("button", name="Ask for feedback").click()
    expect(page.get_by_role("heading", name="Feedback: Sepsis admission write-up")).to_be_visible()
    expect(page.get_by_text("No answers yet.")).to_be_visible()

    # Ben reads the shared item (logged for Ana) and answers with the mouse.
    second_page.reload()
    feed = second_page.locator("[data-feed]")
    expect(feed.get_by_role("link", name="Sepsis admission write-up")).to_be_visible()
    expect(second_page.get_by_text("A private reflection")).to_have_count(0)
    feed.get_by_role("link", name="Sepsis admission write-up").click()
    expect(second_page.get_by_text("Lactate 4.1; fluids in 30 minutes.")).to_be_visible()
    assert AccessLog.objects.filter(learner=ana, viewer=ben, action="view").exists()
    shared_url = second_page.url
    second_page.go_back()
    second_page.locator("[data-feedback-requests]").get_by_role(
        "link", name="Sepsis admission write-up"
    ).click()
    second_page.get_by_label("What worked well").fill("The timeline is easy to follow.")
    second_page.get_by_label("One thing to change next time").fill("Say why the plan changed.")
    second_page.get_by_label("4").check()
    second_page.get_by_role("button", name="Send my answer").click()
    expect(second_page.get_by_text("your answer went to Ana Rivera alone")).to_be_visible()

    # Cy answers on the phone by keyboard alone.
    phone_page.reload()
    phone_page.locator("[data-feedback-requests]").get_by_role(
        "link", name="Sepsis admission write-up"
    ).focus()
    phone_page.keyboard.press("Enter")
    phone_page.get_by_label("What worked well").focus()
    phone_page.keyboard.type("Clear escalation criteria.")
    phone_page.keyboard.press("Tab")
    phone_page.keyboard.type("Cut the lab table to three values.")
    phone_page.keyboard.press("Tab")  # onto the first clarity choice
    phone_page.keyboard.press("ArrowRight")
    phone_page.keyboard.press("ArrowRight")  # 3
    expect(phone_page.get_by_label("3")).to_be_checked()
    phone_page.get_by_role("button", name="Send my answer").focus()
    phone_page.keyboard.press("Enter")
    expect(phone_page.get_by_text("your answer went to Ana Rivera alone")).to_be_visible()
    expect(phone_page.get_by_text("The timeline is easy to follow.")).to_have_count(0)
    _no_sideways_scroll(phone_page)
    snapshot(phone_page, "group-feedback-phone")

    # Ana reads both answers; Ben still reads only his own.
    page.reload()
    expect(page.locator("[data-answer]")).to_have_count(2)
    expect(page.get_by_text("The timeline is easy to follow.")).to_be_visible()
    expect(page.get_by_text("Clear escalation criteria.")).to_be_visible()
    second_page.reload()
    expect(second_page.locator("[data-answer]")).to_have_count(1)
    expect(second_page.get_by_text("Clear escalation criteria.")).to_have_count(0)

    # Ana leaves: her share disappears from the group.
    page.get_by_role("link", name="← Ward-round study group").click()
    page.get_by_role("button", name="Leave the group (withdraws your shares)").click()
    expect(page.get_by_text("1 of your shares were withdrawn")).to_be_visible()
    phone_page.goto("/groups/")
    phone_page.get_by_role("link", name="Ward-round study group").click()
    expect(phone_page.get_by_role("heading", name="Ward-round study group")).to_be_visible()
    expect(phone_page.get_by_role("link", name="Sepsis admission write-up")).to_have_count(0)
    expect(phone_page.get_by_text("Ana Rivera shared")).to_have_count(0)
    expect(phone_page.get_by_text("Nothing posted or shared yet.")).to_be_visible()
    gone = second_page.goto(shared_url)
    assert gone is not None and gone.status == 404
    _no_sideways_scroll(phone_page)
    snapshot(phone_page, "group-after-leaving-phone")

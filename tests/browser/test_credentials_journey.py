"""A resident earns a credential: the program director signs off the committee's entrustment
decision; the resident finds the credential, downloads its JSON and opens the verification
link; someone without an account opens that link on a phone and sees it verified, then pastes a changed copy and sees it fail."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assessments.tests.factories import epa_framework
from committee.entrustment import entrustment_decision_record
from credentials.tests.factories import issuer_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_signed_off_decision_becomes_a_credential_anyone_can_check(
    page: Page, phone_page: Page, second_page: Page, login_as, program, learner, director, snapshot
):
    issuer_key(program)
    framework, epas = epa_framework()
    program.frameworks.add(framework)
    decision = entrustment_decision_record(
        program=program,
        learner_id=learner.pk,
        competency_id=epas[0].pk,
        level="4",
        decided_on=dt.date.today(),
        rationale="Consistent observations across settings.",
        by=director,
    )

    # The director signs the decision off on the committee's page.
    login_as(second_page, director)
    second_page.goto(f"/programs/{program.pk}/learners/{learner.pk}/entrustment/")
    second_page.get_by_role("button", name="Sign off this decision").click()
    expect(second_page.get_by_role("button", name="Sign off this decision")).to_have_count(0)

    # The resident finds the credential, downloads it and opens the verification link.
    login_as(page, learner)
    page.goto("/")
    page.get_by_role("navigation", name="Portfolio").get_by_role("link", name="Credentials").click()
    title = f"Entrusted: {epas[0].code} {epas[0].title} (level 4)"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    snapshot(page, "credential-list")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download (JSON)").click()
    document = json.loads(Path(download_info.value.path()).read_text())
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert document["credentialSubject"]["achievement"]["name"] == title
    link = page.get_by_role("link", name="Verification link").get_attribute("href")
    assert link and decision.pk

    # Someone without an account opens the shared link on a phone.
    phone_page.goto(link)
    expect(phone_page.get_by_role("status")).to_contain_text("Verified.")
    expect(phone_page.get_by_role("heading", name=title)).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the verification page scrolls sideways on a phone ({width}px)"
    snapshot(phone_page, "credential-verify-phone")

    # They paste a copy someone changed by one character: the check says so.
    phone_page.get_by_role("link", name="Check another credential").click()
    document["credentialSubject"]["achievement"]["name"] = title.replace("level 4", "level 5")
    phone_page.get_by_label("Credential (JSON)").fill(json.dumps(document))
    phone_page.get_by_role("button", name="Check").click()
    expect(phone_page.get_by_role("alert")).to_contain_text("changed after issue")

"""A learner asks for an EPA observation; the assessor answers it on a phone in one screen;
the learner finds it on the dashboard and the calibration view, and responds.

Taps on the assessor's side, from the inbox: open the request (1), choose the level (1),
"what went well" (1 + typing), "one thing to work on next" (1 + typing), submit (1) — five
taps and three fields to fill; the date comes filled in from the request.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Assessment, AssessmentRequest, AssessmentResponse
from assessments.tests.factories import epa_framework, milestone_framework
from portfolio.tests.factories import SelfAssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page: Page, snapshot, name: str) -> None:
    """Full page and the screen as seen now, into $CONTINUUM_SHOTS_DIR as assess-*.png."""
    snapshot(page, f"assess-{name}")
    folder = os.environ.get("CONTINUUM_SHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"assess-{name}-screen.png"))


@pytest.fixture
def epas(program):
    framework, items = epa_framework()
    milestones, _ = milestone_framework()
    program.frameworks.add(framework, milestones)
    return items


def test_learner_asks_assessor_answers_on_a_phone_and_learner_responds(
    page: Page, phone_page: Page, login_as, learner, assessor, epas, snapshot
):
    epa = epas[1]
    # The learner rated themself on this EPA last week: calibration will have a pair.
    SelfAssessmentFactory(
        learner=learner,
        competency=epa,
        level=Decimal("4"),
        assessed_on=timezone.localdate() - dt.timedelta(days=7),
    )

    # The learner asks, at a desk.
    login_as(page, learner)
    page.goto("/assessments/requests/new/")
    expect(page.get_by_role("heading", name="Ask for an observation")).to_be_visible()
    page.get_by_label("Who should observe you?").select_option(label=assessor.name)
    page.get_by_label("Which EPA?").select_option(label=f"{epa.code} · {epa.title}")
    page.get_by_label("Setting").select_option(label="Ward / inpatient")
    page.get_by_label("Case type").fill("new chest pain")
    shot(page, snapshot, "request-form")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(f"Request sent to {assessor.name}.")).to_be_visible()
    expect(page.get_by_text("Open", exact=True)).to_be_visible()
    request = AssessmentRequest.objects.get()
    assert request.learner == learner and request.assessor == assessor

    # The assessor answers on a phone, from the inbox, on one screen.
    login_as(phone_page, assessor)
    phone_page.goto("/assessments/inbox/")
    shot(phone_page, snapshot, "inbox-phone")
    taps = 0
    phone_page.get_by_role("link", name=f"{learner.name} — {epa.code}").click()
    taps += 1
    expect(phone_page.get_by_role("heading", name=f"Observe {learner.name}")).to_be_visible()
    # The scale's anchors are on the form itself, not behind a link.
    expect(phone_page.get_by_text("Indirect supervision")).to_be_visible()
    expect(phone_page.get_by_text("the supervisor is close by")).to_be_visible()
    shot(phone_page, snapshot, "form-phone")
    submit = phone_page.get_by_role("button", name="Submit observation")
    expect(submit).to_be_in_viewport()  # the submit bar stays on screen

    phone_page.get_by_text("Indirect supervision").click()
    taps += 1
    went_well = phone_page.get_by_label("What went well")
    went_well.click()
    taps += 1
    went_well.fill("Good job")
    went_well.blur()
    # A gentle hint, never a block.
    expect(phone_page.get_by_text("Kind but general")).to_be_visible()
    went_well.fill("Took a focused history and summarised it back before examining.")
    next_step = phone_page.get_by_label("One thing to work on next")
    next_step.click()
    taps += 1
    next_step.fill("Say your differential out loud before ordering the troponin.")
    shot(phone_page, snapshot, "form-filled-phone")
    submit.click()
    taps += 1
    expect(phone_page.get_by_text("Observation recorded")).to_be_visible()
    shot(phone_page, snapshot, "recorded-phone")
    assert taps == 5
    assessment = Assessment.objects.get()
    assert (assessment.level, assessment.competency) == (Decimal("3"), epa)
    assert AssessmentRequest.objects.get().status == "completed"
    # The form's fields, as built: one level choice, two narratives, the date (pre-filled).
    phone_page.goto(f"/assessments/requests/{request.pk}/")
    expect(phone_page.get_by_text("Completed", exact=True)).to_be_visible()

    # The learner sees it on the dashboard, in calibration, and responds.
    page.goto("/progress/")
    row = page.get_by_role("row", name=f"{epa.code} {epa.title}")
    expect(row).to_contain_text("3")
    expect(row).to_contain_text("n=1")
    shot(page, snapshot, "dashboard")

    page.goto("/assessments/calibration/")
    calibration = page.get_by_role("row", name=f"{epa.code} {epa.title}")
    expect(calibration).to_contain_text("+1.00")
    expect(calibration).to_contain_text("higher than observers")
    shot(page, snapshot, "calibration")

    page.goto("/assessments/received/")
    page.get_by_role("link", name=f"{epa.code} {epa.title}").click()
    expect(page.get_by_text("Took a focused history")).to_be_visible()
    page.get_by_label("Your response or reflection").fill(
        "Agreed: I jump to tests. I will say the differential first on Monday's round."
    )
    page.get_by_role("button", name="Add response").click()
    expect(page.get_by_text("Your response is saved")).to_be_visible()
    expect(page.get_by_text("I will say the differential first")).to_be_visible()
    shot(page, snapshot, "responded")
    assert AssessmentResponse.objects.get().assessment == assessment

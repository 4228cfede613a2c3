"""Forms and entrustment, as people do them:

- a program director builds an O-SCORE form with an optional question; a learner asks for an
  observation on it; the assessor completes it on a phone (390 px), opening the scale's
  anchors with one tap; the record keeps the O-SCORE level and says it is not counted in
  milestone summaries;
- the committee records an entrustment decision for an EPA, the director signs it off, and the
  learner then sees it on their reviews page (and not before).
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assessments.models import Assessment, AssessmentForm, AssessmentRequest
from assessments.tests.factories import epa_framework, milestone_framework
from committee.models import EntrustmentDecision
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page: Page, snapshot, name: str) -> None:
    snapshot(page, f"forms-{name}")
    folder = os.environ.get("CONTINUUM_SHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"forms-{name}-screen.png"))


@pytest.fixture
def epas(program):
    framework, items = epa_framework()
    milestones, _ = milestone_framework()
    program.frameworks.add(framework, milestones)
    return items


def test_director_builds_an_o_score_form_and_an_assessor_completes_it_on_a_phone(
    page: Page, phone_page: Page, login_as, director, learner, assessor, epas, snapshot
):
    epa = epas[0]
    # The director builds the form at a desk.
    login_as(page, director)
    page.goto("/assessments/forms/")
    page.get_by_role(
        "link", name=f"New form for {director.program_roles.get().program.name}"
    ).click()
    page.get_by_label("Name of the form").fill("Procedures on O-SCORE")
    page.get_by_label("It rates").select_option(label="EPAs")
    page.locator("#id_scale").select_option(label="O-SCORE")
    page.get_by_text("What the listed scales' levels mean").click()
    expect(
        page.get_by_text("The trainee worked alone; the supervisor stayed close")
    ).to_be_visible()
    page.get_by_label("Optional questions").fill("Case difficulty")
    shot(page, snapshot, "builder")
    page.get_by_role("button", name="Save the form").click()
    expect(page.get_by_role("heading", name="Procedures on O-SCORE")).to_be_visible()
    expect(page.get_by_text("No: another scale, no mapping")).to_be_visible()
    form = AssessmentForm.objects.get(name="Procedures on O-SCORE")
    assert form.scale is not None and form.scale.code == "o-score"

    # The learner asks for an observation on that form.
    login_as(page, learner)
    page.goto("/assessments/requests/new/")
    page.get_by_label("Who should observe you?").select_option(label=assessor.name)
    page.get_by_label("Which EPA?").select_option(label=f"{epa.code} · {epa.title}")
    page.get_by_label("Form (optional)").select_option(
        label="Procedures on O-SCORE · EPAs · O-SCORE"
    )
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text(f"Request sent to {assessor.name}.")).to_be_visible()
    assert AssessmentRequest.objects.get().form == form

    # The assessor completes it on a phone.
    login_as(phone_page, assessor)
    phone_page.goto("/assessments/inbox/")
    phone_page.get_by_role("link", name=f"{learner.name} — {epa.code}").click()
    expect(phone_page.get_by_text("Procedures on O-SCORE")).to_be_visible()
    # The anchors are one tap away.
    anchors = phone_page.get_by_text("What the levels mean (O-SCORE)")
    anchors.click()
    expect(phone_page.get_by_text("The supervisor carried out the work")).to_be_visible()
    phone_page.locator(f'label[for="level-{epa.pk}-4"]').click()
    # Tapping a level says what it means, too.
    expect(phone_page.locator("[data-level-text]")).to_contain_text(
        "Nearby, just in case: The trainee worked alone"
    )
    phone_page.get_by_label("What went well").fill(
        "Positioned the patient and the ultrasound before starting; calm throughout."
    )
    phone_page.get_by_label("One thing to work on next").fill(
        "Confirm the needle tip on screen before each advance."
    )
    phone_page.get_by_label("Case difficulty").fill("Moderate: obese patient")
    shot(phone_page, snapshot, "o-score-phone")
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the form scrolls sideways on a phone ({width}px)"
    phone_page.get_by_role("button", name="Submit observation").click()
    expect(phone_page.get_by_text("Observation recorded")).to_be_visible()
    expect(phone_page.get_by_text("on the O-SCORE")).to_be_visible()
    expect(phone_page.get_by_text("not counted in milestone summaries")).to_be_visible()
    expect(phone_page.get_by_text("Moderate: obese patient")).to_be_visible()
    made = Assessment.objects.get()
    assert (made.level, made.scale.code, made.counted_level) == (Decimal("4"), "o-score", None)


def test_committee_records_an_entrustment_decision_that_the_learner_then_sees(
    page: Page, second_page: Page, login_as, director, learner, assessor, epas, program, snapshot
):
    epa = epas[0]
    member = factories.UserFactory(email="committee.member@example.org", display_name="Dr Cole")
    factories.ProgramRoleFactory(user=member, program=program, role="committee")

    login_as(page, member)
    page.goto(f"/programs/{program.pk}/learners/{learner.pk}/entrustment/")
    expect(
        page.get_by_role("heading", name=f"Entrustment decisions · {learner.name}")
    ).to_be_visible()
    section = page.locator(f"#epa-{epa.pk}")
    section.get_by_label("Entrusted at level").select_option(label="4 · Unsupervised")
    section.get_by_label("What it rests on").fill("Five observations at 3–4 in clinic and ward.")
    section.get_by_label("Conditions (optional)").fill("Daytime only, senior on site.")
    shot(page, snapshot, "entrustment-record")
    section.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision recorded")).to_be_visible()
    expect(page.locator(f"#epa-{epa.pk}").get_by_text("Draft")).to_be_visible()

    # Not yet for the learner's eyes.
    login_as(second_page, learner)
    second_page.goto("/programs/reviews/")
    expect(second_page.get_by_text("No entrustment decision yet.")).to_be_visible()

    # The director signs it off.
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/learners/{learner.pk}/entrustment/")
    page.locator(f"#epa-{epa.pk}").get_by_role("button", name="Sign off this decision").click()
    expect(page.get_by_text("Signed off; the learner can now see the decision.")).to_be_visible()
    assert EntrustmentDecision.objects.get().is_signed_off

    second_page.goto("/programs/reviews/")
    row = second_page.get_by_role("row", name=f"{epa.code} {epa.title}")
    expect(row).to_contain_text("4")
    expect(row).to_contain_text("Daytime only, senior on site.")
    expect(row).to_contain_text(dt.date.today().strftime("%-d %b %Y"))
    shot(second_page, snapshot, "entrustment-learner")

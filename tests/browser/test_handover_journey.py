"""A medical student hands over to the residency they are moving to: builds the handover from
their record, previews exactly what will be shown, sends it; the residency director reads it;
the student sees that read in their access log, and withdraws the handover."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from handovers.models import Handover
from portfolio.tests.factories import (
    AssessmentFactory,
    EvidenceFactory,
    GoalFactory,
    framework_with_tree,
)
from tests import factories as base

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_hands_over_to_the_residency_and_sees_the_director_read_it(
    page: Page, second_page: Page, login_as, assessor, snapshot
):
    school = base.ProgramFactory(name="Northbridge MD program", stage="ume", duration_years=4)
    residency = base.ProgramFactory(name="Northbridge IM residency")
    framework, epas = framework_with_tree(code="epas-journey", domains=1, per_domain=3)
    school.frameworks.add(framework)
    student = base.UserFactory(email="sam@example.org", display_name="Sam Student")
    base.EnrollmentFactory(learner=student, program=school, training_year=4)
    director = base.UserFactory(email="pd@example.org", display_name="Dr Okafor")
    base.ProgramRoleFactory(user=director, program=residency, role="director")
    AssessmentFactory(
        learner=student,
        assessor=assessor,
        competency=epas[0],
        level=Decimal(3),
        observed_on=dt.date(2026, 3, 1),
    )
    GoalFactory(learner=student, title="Lead a family meeting")
    EvidenceFactory(learner=student, title="Sub-internship case log")
    EvidenceFactory(learner=student, title="A private worry", kind="reflection")

    # The student builds the handover and previews it.
    login_as(page, student)
    page.goto("/handovers/")
    page.get_by_role("link", name="Build a handover").click()
    page.get_by_label("Program you are moving to").select_option(str(residency.pk))
    page.get_by_label("Sub-internship case log").check()
    page.get_by_label("A note to the program").fill("Starting in July; happy to talk.")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Handover to Northbridge IM residency")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(epas[0].title))).to_be_visible()
    expect(page.get_by_text("Lead a family meeting")).to_be_visible()
    expect(page.get_by_text("Sub-internship case log")).to_be_visible()
    expect(page.get_by_text("A private worry")).to_have_count(0)
    snapshot(page, "handover-preview")

    # Before sending, the director sees nothing.
    login_as(second_page, director)
    second_page.goto("/handovers/received/")
    expect(second_page.get_by_text("No handovers received.")).to_be_visible()

    page.get_by_role("button", name="Send to Northbridge IM residency").click()
    expect(page.locator("[data-handover-status]")).to_have_text("Sent")

    # The director reads it.
    second_page.goto("/handovers/received/")
    second_page.get_by_role("link", name="Sam Student").click()
    expect(second_page.get_by_role("heading", name="Handover from Sam Student")).to_be_visible()
    expect(second_page.get_by_text("Starting in July; happy to talk.")).to_be_visible()
    expect(second_page.get_by_text("Sub-internship case log")).to_be_visible()
    expect(second_page.get_by_text("A private worry")).to_have_count(0)

    # The student sees the read in their access log, then withdraws.
    page.goto("/access-log/")
    expect(page.get_by_text("Dr Okafor").first).to_be_visible()
    expect(page.get_by_text("Handover to Northbridge IM residency").first).to_be_visible()
    page.goto("/handovers/")
    page.get_by_role("link", name="Handover to Northbridge IM residency").click()
    page.get_by_role("button", name="Withdraw").click()
    expect(page.locator("[data-handover-status]")).to_have_text("Withdrawn")
    assert Handover.objects.get().status == Handover.Status.WITHDRAWN
    response = second_page.reload()
    assert response is not None and response.status == 404
    expect(second_page.get_by_text("Starting in July")).to_have_count(0)

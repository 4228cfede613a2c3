"""A committee meeting in meeting mode: the presenter walks through the period's learners one
at a time, most concern first, with the keyboard, and records consensus in place without
leaving the learner on screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.tests.factories import AssessmentFactory
from committee.models import ConsensusRating
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import EnrollmentFactory, ProgramRoleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def meeting(program, director):
    _, leaves = program_with_framework(program, domains=1, per_domain=3)
    today = timezone.localdate()
    if today.month >= 7:
        start, end = dt.date(today.year, 7, 1), dt.date(today.year, 12, 31)
    else:
        start, end = dt.date(today.year, 1, 1), dt.date(today.year, 6, 30)
    period = ReviewPeriodFactory(program=program, name="This half", start_date=start, end_date=end)
    member = UserFactory(display_name="Dr Chen")
    ProgramRoleFactory(program=program, user=member, role="committee")
    assessor = UserFactory(display_name="Dr Haddad")
    observed = max(start, today - dt.timedelta(days=2))
    # Ana is well below expectation on two ratings (flagged: she comes first); the others not.
    people = {}
    for name, level in (("Ana Flagged", "0.5"), ("Ben Steady", "3"), ("Cy Steady", "3.5")):
        learner = EnrollmentFactory(program=program, learner=UserFactory(display_name=name)).learner
        for leaf in leaves:
            for _ in range(2):
                AssessmentFactory(
                    learner=learner,
                    assessor=assessor,
                    competency=leaf,
                    level=Decimal(level),
                    observed_on=observed,
                    went_well=f"{name.split()[0]} kept the family informed.",
                )
        people[name] = learner
    return program, leaves, period, member, people


def test_the_committee_walks_through_three_learners_and_records_consensus(
    page: Page, login_as, meeting
):
    program, leaves, period, member, people = meeting
    login_as(page, member)
    page.goto(f"/programs/{program.pk}/meeting/?period={period.pk}")

    # Most concern first: the flagged learner, with her summary on one screen.
    expect(page.get_by_role("heading", name="Ana Flagged")).to_be_visible()
    expect(page.get_by_text("Learner 1 of 3")).to_be_visible()
    expect(page.get_by_text("Ana kept the family informed.").first).to_be_visible()
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 2500, f"the summary runs to {height}px"

    # Consensus in place: the page comes back to the same learner.
    page.get_by_label(f"Consensus level for {leaves[0].code}").select_option("1")
    page.get_by_label(f"Rationale for {leaves[0].code}").fill("Two low ratings; plan a check-in.")
    page.get_by_role("button", name=f"Save {leaves[0].code}").click()
    expect(page.get_by_text("Consensus recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ana Flagged")).to_be_visible()
    assert ConsensusRating.objects.get(review__learner=people["Ana Flagged"]).level == Decimal(1)

    # The keyboard walks on: j (or →) next, k (or ←) previous.
    page.keyboard.press("j")
    expect(page.get_by_text("Learner 2 of 3")).to_be_visible()
    second = page.locator(".meeting-head h2").inner_text()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_text("Learner 3 of 3")).to_be_visible()
    third = page.locator(".meeting-head h2").inner_text()
    assert {second, third} == {"Ben Steady", "Cy Steady"}
    page.get_by_label(f"Consensus level for {leaves[1].code}").select_option("3.5")
    page.get_by_label(f"Rationale for {leaves[1].code}").fill("Consistent at 3 to 3.5.")
    page.get_by_role("button", name=f"Save {leaves[1].code}").click()
    expect(page.get_by_text("Consensus recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name=third)).to_be_visible()
    page.keyboard.press("k")
    expect(page.get_by_role("heading", name=second)).to_be_visible()
    # Typing in a field never navigates.
    page.get_by_label(f"Rationale for {leaves[2].code}").press("j")
    expect(page.get_by_role("heading", name=second)).to_be_visible()
    assert ConsensusRating.objects.count() == 2

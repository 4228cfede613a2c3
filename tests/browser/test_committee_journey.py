"""A competency committee's review, as the people involved would do it in a browser.

The director opens the cohort heatmap, follows a flagged cell to the learner's packet and reads
it; a committee member records the consensus levels; the director signs off; the learner sees
the result and responds.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.tests.factories import AssessmentFactory
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import (
    EnrollmentFactory,
    FrameworkFactory,
    InstitutionFactory,
    ProgramRoleFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PROGRAMS_SHOTS_DIR", "/tmp/shots")


def shot(page: Page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/programs-{name}.png", full_page=True)


def current_half_year(today: dt.date) -> tuple[dt.date, dt.date]:
    if today.month >= 7:
        return dt.date(today.year, 7, 1), dt.date(today.year, 12, 31)
    return dt.date(today.year, 1, 1), dt.date(today.year, 6, 30)


@pytest.fixture
def committee_world(program, learner, director):
    program.name = "Internal Medicine Residency"
    program.save()
    learner.display_name = "Ada Okafor"
    learner.save()
    director.display_name = "Dr Rivera"
    director.save()
    _, leaves = program_with_framework(program, domains=2, per_domain=2)
    for index, leaf in enumerate(leaves):
        leaf.title = ["History taking", "Physical exam", "Handover", "Team communication"][index]
        leaf.save()
    today = timezone.localdate()
    start, end = current_half_year(today)
    period = ReviewPeriodFactory(
        program=program,
        name=f"{start:%Y} {'autumn' if start.month == 7 else 'spring'}",
        start_date=start,
        end_date=end,
    )
    member = UserFactory(display_name="Dr Chen")
    ProgramRoleFactory(program=program, user=member, role="committee")
    assessor = UserFactory(display_name="Dr Haddad")
    observed = max(start, today - dt.timedelta(days=3))
    # The learner is well below expectation on the first sub-competency, on two ratings: the
    # flagged cell (one rating alone would only ask for more evidence).
    for _ in range(2):
        AssessmentFactory(
            learner=learner,
            assessor=assessor,
            competency=leaves[0],
            level=Decimal("0.5"),
            observed_on=observed,
            went_well="Kind and thorough with the family.",
            next_step="Structure the history around the presenting complaint.",
        )
    for leaf in leaves[1:]:
        AssessmentFactory(
            learner=learner, assessor=assessor, competency=leaf, level=2, observed_on=observed
        )
    names = ["Bea Lindqvist", "Cem Aydin", "Dara Moss", "Eli Park"]
    for n, name in enumerate(names):
        peer = EnrollmentFactory(program=program, learner=UserFactory(display_name=name)).learner
        for leaf in leaves:
            AssessmentFactory(
                learner=peer,
                assessor=assessor,
                competency=leaf,
                level=Decimal(2) + Decimal(n % 3) / 2,
                observed_on=observed,
            )
    return program, leaves, period, member


def test_committee_reviews_a_flagged_learner_and_the_learner_responds(
    page: Page, login_as, committee_world, learner, director
):
    program, leaves, period, member = committee_world

    # The director opens the heatmap: the learner of most concern comes first, flagged.
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/heatmap/")
    expect(page.get_by_role("heading", name=program.name)).to_be_visible()
    first_row = page.locator("table.heatmap tbody tr").first
    expect(first_row.get_by_role("rowheader")).to_contain_text("Ada Okafor")
    flagged = first_row.locator("td a", has_text="▼").first
    expect(flagged).to_have_text("▼0.5")
    shot(page, "heatmap")

    # A click on the flagged cell opens the packet at that sub-competency.
    flagged.click()
    expect(page).to_have_url(re.compile(rf"/learners/{learner.pk}/#c-{leaves[0].pk}$"))
    section = page.locator(f"#c-{leaves[0].pk}")
    expect(section).to_contain_text("One level or more below the level expected by the period")
    expect(section).to_contain_text("Kind and thorough with the family.")
    expect(section).to_contain_text("median 0.5 of 2 ratings by 1 assessor")
    expect(page.get_by_test_id("review-status")).to_have_text("Not started")
    # The trajectory is drawn as small multiples (plotly.js served locally), one per domain;
    # within a chart no two lines share a colour, and the charts are figures, not images (the
    # chart's buttons are inside them).
    charts = page.locator('[data-figure^="fig-trajectory-"]')
    expect(charts.first.locator(".main-svg").first).to_be_visible()
    drawn = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-figure^="fig-trajectory-"]'))
            .map((el) => el.data.map((trace) => trace.line.color))"""
    )
    assert drawn and all(len(set(colours)) == len(colours) for colours in drawn)
    assert page.locator(".chart [role=img]").count() == 0
    shot(page, "packet")

    # The early-warning list explains the flag; distributions show the cohort's spread.
    page.goto(f"/programs/{program.pk}/flags/")
    expect(page.locator(".flag-card").first).to_contain_text(
        re.compile(r"median 0\.5 of 2 ratings; expected [\d.]+ by the period's end in PGY-1")
    )
    shot(page, "flags")
    page.goto(f"/programs/{program.pk}/distributions/")
    expect(page.locator('[data-figure="fig-distribution"] .main-svg').first).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("PGY-1")
    shot(page, "distributions")
    page.goto(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/")

    # The director cannot sign off an incomplete review.
    expect(
        page.get_by_text("Sign-off opens once every sub-competency has a consensus level")
    ).to_be_visible()

    # A committee member records the consensus for every sub-competency.
    login_as(page, member)
    page.goto(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/")
    for leaf, level in zip(leaves, ["1", "2", "2", "2.5"], strict=True):
        form_section = page.locator(f"#c-{leaf.pk}")
        form_section.get_by_label("Level").select_option(level)
        form_section.get_by_label("Rationale").fill(
            f"Agreed from the period's observations ({leaf.code})."
        )
        form_section.get_by_role("button", name=f"Save consensus for {leaf.code}").click()
        expect(page.get_by_text("Consensus recorded.")).to_be_visible()
    expect(page.get_by_test_id("review-status")).to_have_text("In committee")
    expect(page.get_by_role("heading", name="Director's sign-off")).to_have_count(0)

    # The director signs off.
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/")
    page.get_by_label("Summary for the learner").fill(
        "Steady progress; focus on structured histories this term."
    )
    shot(page, "sign-off")
    page.get_by_role("button", name="Sign off the review").click()
    expect(page.get_by_text("Review signed off; the learner can now see it.")).to_be_visible()
    expect(page.get_by_test_id("review-status")).to_have_text("Signed off")

    # The printable packet shows the record without forms.
    page.goto(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/print/")
    expect(page.locator("form")).to_have_count(0)
    # Its Print button opens the print dialog (stood in for here, headless has none).
    page.evaluate("() => { window.print = () => { window.__printed = true; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("() => window.__printed === true")
    page.emulate_media(media="print")
    shot(page, "packet-print")
    page.emulate_media(media="screen")

    # The learner sees the result and responds.
    login_as(page, learner)
    page.goto("/programs/reviews/")
    page.get_by_role("link", name=re.compile(period.name)).click()
    expect(page.get_by_test_id(f"level-{leaves[0].code}")).to_have_text("1")
    expect(page.get_by_text("Steady progress; focus on structured histories")).to_be_visible()
    page.get_by_role("textbox", name="Your response").fill(
        "Thank you. I have booked two observed histories."
    )
    page.get_by_role("button", name="Save response").click()
    expect(page.get_by_text("Your response is saved with the review.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Your response")).to_have_value(
        "Thank you. I have booked two observed histories."
    )
    shot(page, "learner-review")

    # Back on the committee side, the response is part of the packet.
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/")
    expect(page.locator(".response")).to_contain_text("I have booked two observed histories.")


def test_the_director_corrects_a_review_period(page: Page, login_as, program, director):
    ReviewPeriodFactory(
        program=program,
        name="Autumn",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2025, 12, 31),
    )
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/periods/")
    page.get_by_role("link", name="Edit Autumn").click()
    page.get_by_label("Name").fill("2025–26 mid-year")
    page.get_by_label("End date").fill("2025-11-30")
    page.get_by_label("Closes a training year").check()
    page.get_by_role("button", name="Save period").click()
    expect(page.get_by_text("Review period saved.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("2025–26 mid-year"))
    expect(row).to_contain_text("2025-11-30")
    expect(row).to_contain_text("yes")


def test_an_institution_administrator_creates_a_program(page: Page, login_as, admin_user, snapshot):
    institution = InstitutionFactory(name="Lakeside University")
    framework = FrameworkFactory(name="Internal Medicine Milestones")
    login_as(page, admin_user)
    page.goto("/programs/")
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Institution").select_option(label=institution.name)
    page.get_by_label("Name").fill("Geriatric Medicine Fellowship")
    page.get_by_label("Stage").select_option(label="Fellowship")
    page.get_by_label("Length (years)").fill("2")
    page.get_by_label(re.compile("Internal Medicine Milestones")).check()
    page.get_by_label("Program director's email").fill("ines.duarte@example.org")
    snapshot(page, "programs-create-desktop")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_text("Geriatric Medicine Fellowship created.")).to_be_visible()
    expect(page.get_by_role("heading", name="Geriatric Medicine Fellowship")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(framework.name))).to_be_visible()
    page.get_by_role("link", name="People & roles").click()
    expect(page.get_by_text("ines.duarte@example.org", exact=True)).to_be_visible()

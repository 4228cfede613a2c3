"""The cohort heatmap for a program of 36 learners: every learner is on the page without a
scroll box of its own, the column headers stay at the top as the page scrolls, any column sorts
(both ways, "no data" last) and a learner is found by name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.tests.factories import AssessmentFactory
from programs.tests.factories import ReviewPeriodFactory, program_with_framework
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEARNERS = 36


@pytest.fixture
def cohort(program, director):
    _, leaves = program_with_framework(program, domains=2, per_domain=2)
    today = timezone.localdate()
    if today.month >= 7:
        start, end = dt.date(today.year, 7, 1), dt.date(today.year, 12, 31)
    else:
        start, end = dt.date(today.year, 1, 1), dt.date(today.year, 6, 30)
    ReviewPeriodFactory(program=program, name="This half", start_date=start, end_date=end)
    assessor = UserFactory(display_name="Dr Haddad")
    observed = max(start, today - dt.timedelta(days=2))
    for n in range(LEARNERS):
        learner = EnrollmentFactory(
            program=program, learner=UserFactory(display_name=f"Learner {n:02d}")
        ).learner
        # Learner 07 has no rating of the first sub-competency: "no data" sorts last.
        for leaf in leaves if n != 7 else leaves[1:]:
            AssessmentFactory(
                learner=learner,
                assessor=assessor,
                competency=leaf,
                level=Decimal(n % 9) / 2 + Decimal("0.5"),
                observed_on=observed,
            )
    return program, leaves


def first_cells(page: Page, column: int, count: int = 3) -> list[str]:
    return [
        page.locator("table.heatmap tbody tr").nth(i).locator("td").nth(column).inner_text()
        for i in range(count)
    ]


def test_every_learner_is_on_the_page_and_any_column_sorts(page: Page, login_as, director, cohort):
    program, leaves = cohort
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/heatmap/")
    rows = page.locator("table.heatmap tbody tr")
    expect(rows).to_have_count(LEARNERS)

    # No nested scroll box: the frame is as tall as the table, and scrolling the page brings
    # the last learner into view with the column headers still at the top.
    frame = page.locator(".heatmap-frame")
    overflow = frame.evaluate("el => getComputedStyle(el).overflowY")
    assert overflow == "visible"
    assert frame.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    rows.last.scroll_into_view_if_needed()
    expect(rows.last).to_be_in_viewport()
    header = page.locator("table.heatmap thead th").nth(4)
    top = header.evaluate("el => el.getBoundingClientRect().top")
    assert abs(top) <= 2, f"the header row scrolled away (top {top}px)"

    # Sort by the first sub-competency: lowest first, then highest first; no data stays last.
    first = leaves[0]
    button = page.locator("table.heatmap thead th").nth(3).get_by_role("button")
    expect(button).to_contain_text(first.code)
    button.click()
    expect(page.locator("table.heatmap thead th").nth(3)).to_have_attribute(
        "aria-sort", "ascending"
    )
    values = [float(v.replace("▼", "")) for v in first_cells(page, 2)]  # td index: year, flags, …
    assert values == sorted(values) and values[0] == 0.5
    expect(rows.last.locator("td").nth(2)).to_have_text("·")
    button.click()
    expect(page.locator("table.heatmap thead th").nth(3)).to_have_attribute(
        "aria-sort", "descending"
    )
    values = [float(v.replace("▼", "")) for v in first_cells(page, 2)]
    assert values == sorted(values, reverse=True) and values[0] == 4.5
    expect(rows.last.locator("td").nth(2)).to_have_text("·")

    # By learner, alphabetically; then back to the committee's order.
    page.locator("table.heatmap thead th").first.get_by_role("button").click()
    expect(rows.first.get_by_role("rowheader")).to_have_text("Learner 00")
    expect(page.get_by_text("Sorted by Learner, lowest first.")).to_be_attached()

    # Find a learner by name.
    page.get_by_label("Find a learner").fill("Learner 3")
    expect(page.locator("table.heatmap tbody tr:visible")).to_have_count(6)  # 30–35
    expect(page.get_by_text("6 of 36 learners shown.")).to_be_attached()

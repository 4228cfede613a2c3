"""A learner keeps their portfolio as they would on a phone and at home, shares some of it
with a coach, takes it back — and sees who looked.

The learner checks in on all 22 items of a framework on a phone (one tap per item plus
submit; a draft survives a closed tab), adds evidence with a file, writes a private
reflection, sets a goal and shares check-ins and goals with a coach. The coach sees exactly
those and not the reflection; after the learner revokes, the coach's next request is a 404;
the learner's access log shows the coach's reads.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from playwright.sync_api import Page, expect

from assessments.models import Assessment, CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.summaries.monthly import monthly_summaries_refresh
from portfolio.dashboard import learner_dashboard
from portfolio.models import AccessLog, Evidence
from portfolio.tests.factories import framework_with_tree
from tests import factories as base

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def framework_of_22(program):
    framework, leaves = framework_with_tree(code="im-journey", domains=2, per_domain=11)
    program.frameworks.add(framework)
    return framework, leaves


def shot(page: Page, snapshot, name: str) -> None:
    """Screenshots for people to look at (CONTINUUM_SHOTS_DIR); names start with portfolio-.
    Besides the full page, the screen as the person sees it now (long pages shrink a lot)."""
    snapshot(page, f"portfolio-{name}")
    folder = os.environ.get("CONTINUUM_SHOTS_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"portfolio-{name}-screen.png"))


def seed_history(learner, leaves, assessor) -> None:
    school = base.ProgramFactory(stage="ume", name="MD program", duration_years=4)
    base.EnrollmentFactory(
        learner=learner,
        program=school,
        training_year=4,
        start_date=dt.date(2021, 8, 1),
        end_date=dt.date(2025, 5, 31),
    )
    learner.enrollments.filter(end_date__isnull=True).update(start_date=dt.date(2025, 7, 1))
    rows, ratings = [], []
    for month in range(14):
        day = dt.date(2024, 10, 5) + dt.timedelta(days=30 * month)
        for index, leaf in enumerate(leaves):
            level = Decimal(min(10, 1 + month // 2 + index % 4)) / 2
            rows.append(
                SelfAssessment(learner=learner, competency=leaf, level=level, assessed_on=day)
            )
            if month % 3 == 0 and index % 3 == 0:
                ratings.append(
                    Assessment(
                        assessor=assessor,
                        learner=learner,
                        competency=leaf,
                        level=max(Decimal(0), level - Decimal("0.5")),
                        observed_on=day,
                    )
                )
    SelfAssessment.objects.bulk_create(rows)
    Assessment.objects.bulk_create(ratings)
    # Bulk inserts skip the services, so the dashboard's summary is refreshed as after any
    # bulk load (the heatmap's period summary has no period here to cover).
    for rated_by in MonthlyRatingSummary.RatedBy:
        monthly_summaries_refresh(learner_id=learner.pk, rated_by=rated_by)


def assert_trajectory_drawn_from_the_series(page: Page, learner) -> None:
    """The browser builds the trajectory chart from the page's series: per framework, the mean
    of its competencies per month (yours, then assessors'; never across frameworks), then per
    competency a line per rater and its expected trajectory, and a menu entry for each. The
    means must be the database's."""
    drawn = page.evaluate(
        """() => {
            const chart = document.getElementById("trajectory");
            return {
                names: chart.data.map((trace) => trace.name),
                months: chart.data[0].x,
                means: chart.data[0].y,
                menu: chart.layout.updatemenus[0].buttons.map((button) => button.label),
            };
        }"""
    )
    dashboard = learner_dashboard(learner=learner)
    sums: dict[dt.date, list[Decimal]] = {}
    for point in dashboard.self_points:
        total, n = sums.setdefault(point.month, [Decimal(0), Decimal(0)])
        sums[point.month] = [total + Decimal(point.tenths) / 10, n + point.n]
    assert drawn["months"] == [month.isoformat() for month in sorted(sums)]
    assert drawn["means"] == [round(float(t / n), 2) for t, n in (sums[m] for m in sorted(sums))]
    codes = [row.competency.code for row in dashboard.rows if row.self_level is not None]
    framework = dashboard.rows[0].competency.framework.name
    assert drawn["names"][:5] == [
        f"You (mean) · {framework}",
        f"Assessors (mean) · {framework}",
        f"You · {codes[0]}",
        f"Assessors · {codes[0]}",
        f"Expected · {codes[0]}",
    ]
    assert len(drawn["names"]) == 2 + 3 * len(codes)
    assert drawn["menu"] == [f"{framework} (mean)", *codes]


def assert_monthly_table_follows_the_chart(page: Page, learner, leaves) -> None:
    """The link beside the chart leads to its numbers as a table; the competency picker
    narrows it to one competency's months, yours and assessors'."""
    page.get_by_role("link", name="The same numbers as a table").click()
    expect(page.get_by_role("heading", name="Monthly levels")).to_be_visible()
    dashboard = learner_dashboard(learner=learner)
    rows = page.locator("#monthly-levels tbody tr")
    expect(rows).to_have_count(len(dashboard.self_points) + len(dashboard.assessor_points))
    leaf = leaves[0]
    page.get_by_label("Competency").select_option(str(leaf.pk))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Monthly levels")).to_be_visible()
    mine = [p for p in dashboard.self_points if p.competency_id == leaf.pk]
    theirs = [p for p in dashboard.assessor_points if p.competency_id == leaf.pk]
    expect(rows).to_have_count(len(mine) + len(theirs))
    # Sorted by month, then who rated ("Assessors" before "You" in the same month).
    month, who, mean, n = min(
        [(p.month, "You", p.mean, p.n) for p in mine]
        + [(p.month, "Assessors", p.mean, p.n) for p in theirs]
    )
    expect(rows.first.locator("td")).to_have_text(
        [date_filter(month, "M Y"), leaf.code, who, floatformat(mean, "-2"), str(n)]
    )


def test_learner_checks_in_on_a_phone_and_neither_a_closed_tab_nor_a_lost_connection_loses_it(
    phone_page: Page, login_as, learner, framework_of_22, snapshot
):
    framework, leaves = framework_of_22
    page = phone_page
    login_as(page, learner)
    page.goto("/assessments/check-in/")
    expect(page).to_have_url(re.compile(rf"/assessments/check-in/{framework.pk}/$"))
    shot(page, snapshot, "checkin-phone-empty")

    # Three taps, then the tab is closed before submitting.
    for leaf in leaves[:3]:
        page.locator(f"label[for='level-{leaf.pk}-5']").click()
    expect(page.locator("[data-rated]")).to_have_text("3")
    expect(page.locator(f"#item-{leaves[0].pk} [data-level-text]")).to_have_text(
        "Looks like level 2"
    )
    token = page.locator("[data-client-token]").input_value()
    context = page.context
    page.close()

    page = context.new_page()
    page.goto(f"/assessments/check-in/{framework.pk}/")
    expect(page.locator("[data-draft-banner]")).to_be_visible()
    expect(page.locator("[data-rated]")).to_have_text("3")
    assert page.locator("[data-client-token]").input_value() == token
    for leaf in leaves[:3]:
        expect(page.locator(f"#level-{leaf.pk}-5")).to_be_checked()

    # One tap for each remaining item, then submit: 22 items, 22 taps (3 before) + submit.
    for index, leaf in enumerate(leaves[3:]):
        page.locator(f"label[for='level-{leaf.pk}-{3 + index % 7}']").click()
    expect(page.locator("[data-rated]")).to_have_text("22")
    shot(page, snapshot, "checkin-phone-filled")

    # The connection drops as they tap Save: nothing arrives, and nothing is lost.
    page.context.set_offline(True)
    page.get_by_role("button", name="Save check-in").click()
    page.wait_for_timeout(500)
    assert not CheckIn.objects.exists()
    page.context.set_offline(False)
    page.goto(f"/assessments/check-in/{framework.pk}/")
    expect(page.locator("[data-draft-banner]")).to_be_visible()
    expect(page.locator("[data-rated]")).to_have_text("22")
    assert page.locator("[data-client-token]").input_value() == token
    page.get_by_role("button", name="Save check-in").click()

    expect(page.get_by_role("heading", name=re.compile("Check-in"))).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(22)
    shot(page, snapshot, "checkin-phone-saved")
    assert CheckIn.objects.get().client_token.hex == token.replace("-", "")
    assert SelfAssessment.objects.count() == 22

    # The sent draft is gone: a new check-in starts empty with a new token.
    page.goto(f"/assessments/check-in/{framework.pk}/")
    expect(page.locator("[data-draft-banner]")).to_be_hidden()
    expect(page.locator("[data-rated]")).to_have_text("0")
    assert page.locator("[data-client-token]").input_value() != token


def test_learner_keeps_evidence_reflections_and_goals_shares_with_a_coach_and_takes_it_back(
    page: Page,
    phone_page: Page,
    second_page: Page,
    login_as,
    learner,
    coach,
    framework_of_22,
    media,
    snapshot,
    tmp_path,
):
    framework, leaves = framework_of_22
    login_as(page, learner)

    # A check-in first (on the phone, as it would be done between patients).
    login_as(phone_page, learner)
    phone_page.goto(f"/assessments/check-in/{framework.pk}/")
    for leaf in leaves:
        phone_page.locator(f"label[for='level-{leaf.pk}-4']").click()
    phone_page.get_by_role("button", name="Save check-in").click()
    expect(phone_page.locator("tbody tr")).to_have_count(22)

    # Evidence with a file.
    certificate = Path(tmp_path) / "bls-certificate.pdf"
    certificate.write_bytes(PDF)
    page.goto("/evidence/new/")
    page.get_by_label("Kind").select_option("certificate")
    page.get_by_label("Title").fill("BLS certificate")
    page.get_by_label("Date").fill("2025-09-01")
    page.get_by_label(f"{leaves[0].code} · {leaves[0].title}").check()
    page.get_by_label("File").set_input_files(str(certificate))
    shot(page, snapshot, "evidence-form-desktop")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("BLS certificate"))).to_be_visible()
    expect(page.get_by_text("Only you can see this")).to_be_visible()
    expect(page.get_by_role("link", name="bls-certificate.pdf")).to_be_visible()

    # A private reflection, with the reminder about patient identifiers.
    page.goto("/")
    page.get_by_role("link", name="Write a reflection").click()
    expect(page.get_by_text("No patient identifiers.")).to_be_visible()
    expect(page.get_by_text("Only you can see your reflections")).to_be_visible()
    page.get_by_label("Title").fill("The night I called the family")
    page.get_by_label("Your reflection").fill("What went well, what I would do differently.")
    shot(page, snapshot, "reflection-form-desktop")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Only you can see this")).to_be_visible()

    # A goal, from a focus-next suggestion.
    page.goto("/goals/")
    shot(page, snapshot, "goals-desktop")
    page.get_by_role("link", name="Set a goal").first.click()
    page.get_by_label("What will you be able to do?").fill("Run a family meeting on my own")
    page.get_by_label("How will you know you got there?").fill(
        "Two meetings observed, rated 3 or more"
    )
    page.get_by_label("By when?").fill("2026-06-30")
    page.get_by_role("button", name="Save goal").click()
    expect(page.get_by_role("heading", name=re.compile("Run a family meeting"))).to_be_visible()

    # Share check-ins and goals with the coach.
    page.goto("/sharing/")
    page.get_by_label("Their email address").fill(coach.email)
    page.get_by_label("Check-ins and self-assessments").check()
    page.get_by_label("Goals and learning plan").check()
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.get_by_role("button", name=f"Stop sharing with {coach.name}")).to_be_visible()
    shot(page, snapshot, "sharing-desktop")

    # The coach sees exactly that: the check-in and the goal, not the reflection or evidence.
    viewer = second_page
    login_as(viewer, coach)
    viewer.goto("/shared/")
    viewer.get_by_role("link", name=learner.name).click()
    expect(viewer.get_by_role("heading", name="Check-ins", exact=True)).to_be_visible()
    expect(viewer.get_by_role("link", name="Run a family meeting on my own")).to_be_visible()
    expect(viewer.get_by_text("The night I called the family")).to_have_count(0)
    expect(viewer.get_by_text("BLS certificate")).to_have_count(0)
    expect(viewer.get_by_role("heading", name="Reflections", exact=True)).to_have_count(0)
    shot(viewer, snapshot, "shared-coach-desktop")
    shared_url = viewer.url
    viewer.get_by_role("link", name="Run a family meeting on my own").click()
    goal_url = viewer.url
    reflection = Evidence.objects.get(kind="reflection")
    response = viewer.goto(f"/shared/{learner.pk}/evidence/{reflection.pk}/")
    assert response is not None and response.status == 404

    # The learner revokes; the coach's next request is refused.
    page.goto("/sharing/")
    page.get_by_role("button", name=f"Stop sharing with {coach.name}").click()
    expect(page.get_by_text("You share nothing at the moment")).to_be_visible()
    for url in (goal_url, shared_url):
        response = viewer.goto(url)
        assert response is not None and response.status == 404

    # The access log shows what the coach read, and when.
    page.goto("/access-log/")
    expect(
        page.get_by_role("cell", name=re.compile("Run a family meeting on my own")).first
    ).to_be_visible()
    expect(page.get_by_role("cell", name=coach.name).first).to_be_visible()
    shot(page, snapshot, "access-log-desktop")
    actions = set(AccessLog.objects.values_list("action", "scope"))
    assert ("view", "goals") in actions
    assert ("list", "checkins") in actions
    assert not AccessLog.objects.filter(scope__in=["reflections", "evidence"]).exists()

    # The portfolio leaves with the learner: an export, with its progress and the archive.
    page.goto("/export/")
    page.get_by_role("button", name="Export my portfolio").click()
    expect(page.get_by_role("link", name="Download the archive")).to_be_visible()
    shot(page, snapshot, "export-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the archive").click()
    assert download.value.suggested_filename.endswith(".zip")

    # And the dashboard, on both screens, with a history behind it: medical school, then
    # residency, self-ratings and assessors' ratings over a year.
    seed_history(learner, leaves, coach)
    page.goto("/")
    shot(page, snapshot, "home-desktop")
    page.get_by_role("link", name="See your progress").click()
    expect(page.locator("#standing-" + str(framework.pk) + " .main-svg").first).to_be_visible()
    expect(page.locator("#trajectory .main-svg").first).to_be_visible()
    assert_trajectory_drawn_from_the_series(page, learner)
    shot(page, snapshot, "dashboard-desktop")
    assert_monthly_table_follows_the_chart(page, learner, leaves)
    shot(page, snapshot, "monthly-levels-desktop")
    page.get_by_role("link", name="My progress").first.click()
    phone_page.goto("/progress/")
    expect(
        phone_page.locator("#standing-" + str(framework.pk) + " .main-svg").first
    ).to_be_visible()
    shot(phone_page, snapshot, "dashboard-phone")
    phone_page.get_by_role("link", name="The same numbers as a table").click()
    expect(phone_page.get_by_label("Competency")).to_be_visible()
    shot(phone_page, snapshot, "monthly-levels-phone")
    phone_page.goto("/progress/")
    if os.environ.get("CONTINUUM_SHOTS_DIR"):
        for index, block in enumerate(phone_page.locator(".chart-block").all()):
            block.screenshot(
                path=f"{os.environ['CONTINUUM_SHOTS_DIR']}/portfolio-dashboard-phone-chart{index}.png"
            )

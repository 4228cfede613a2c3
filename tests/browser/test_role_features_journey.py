"""The small things each role expects: a coach sees each coachee's trend, reminds two of them
at once and takes a meeting into their calendar; an assessor reads their own turnaround; and
everyone sees how many notifications wait for them in the header."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import AssessmentRequest
from assessments.services.forms import shipped_forms_ensure
from coaching.models import CoachingRelationship, Meeting
from coaching.tests.factories import RelationshipFactory
from notifications.models import Kind, Notification
from portfolio.tests.factories import (
    CheckInFactory,
    SelfAssessmentFactory,
    ShareGrantFactory,
    framework_with_tree,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coachees(coach, program):
    """Two coachees who share check-ins and checked in twice, rating themselves higher."""
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    today = timezone.localdate()
    rels = []
    for name in ("Ana Trend", "Ben Trend"):
        learner = UserFactory(display_name=name)
        rels.append(
            RelationshipFactory(
                learner=learner, coach=coach, program=program, accepted_at=timezone.now()
            )
        )
        ShareGrantFactory(learner=learner, grantee=coach, share_checkins=True, share_goals=True)
        for days, level in ((40, "1.5"), (5, "2.5")):
            checkin = CheckInFactory(learner=learner)
            for leaf in leaves[:2]:
                SelfAssessmentFactory(
                    learner=learner,
                    competency=leaf,
                    level=Decimal(level),
                    checkin=checkin,
                    assessed_on=today - dt.timedelta(days=days),
                )
    return rels


def test_a_coach_sees_trends_reminds_two_coachees_and_downloads_a_meeting(
    page: Page, login_as, coach, coachees, snapshot
):
    rel = coachees[0]
    meeting = Meeting.objects.create(
        relationship=rel,
        learner=rel.learner,
        coach=coach,
        starts_at=timezone.now() + dt.timedelta(days=2),
        location="Clinic room 3, level 2",
    )
    login_as(page, coach)
    page.goto("/coaching/overview/")
    ana = page.locator("li.coachee", has_text="Ana Trend")
    expect(ana.locator("[data-trend]")).to_contain_text("Self 1.5 → 2.5")
    expect(ana.locator("svg.sparkline polyline")).to_have_count(1)
    snapshot(page, "coach-overview-trend")

    # Remind both at once; a second submit (Back, submit again) sends nothing more.
    for relationship in coachees:
        page.get_by_label(f"Remind {relationship.learner.name}").check()
    page.get_by_label("Remind them to").select_option("checkin")
    page.get_by_label("A short note (optional)").fill("Before Friday's meeting, please.")
    page.get_by_role("button", name="Send reminder to ticked coachees").click()
    expect(page.get_by_text("Reminder sent to Ana Trend, Ben Trend.")).to_be_visible()
    assert Notification.objects.filter(kind=Kind.NUDGE).count() == 2
    page.go_back()
    page.get_by_role("button", name="Send reminder to ticked coachees").click()
    expect(page.get_by_text("Already reminded of this today")).to_be_visible()
    assert Notification.objects.filter(kind=Kind.NUDGE).count() == 2

    # The meeting into the calendar: a real download of an RFC 5545 file.
    page.goto(f"/coaching/meetings/{meeting.public_id}/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Add to my calendar (.ics)").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    content = download.path().read_bytes().decode()
    assert content.startswith("BEGIN:VCALENDAR\r\n")
    assert f"UID:{meeting.public_id}@continuum.meetings\r\n" in content
    assert "LOCATION:Clinic room 3\\, level 2\r\n" in content

    # Self versus assessors on the coachee page itself.
    page.goto(f"/coaching/coachees/{rel.public_id}/")
    expect(page.get_by_role("heading", name="Self versus assessors")).to_be_visible()


def test_a_coachee_who_stopped_sharing_shows_no_trend(page: Page, login_as, coach, coachees):
    CoachingRelationship.objects.filter(pk=coachees[1].pk).update(status="ended")
    login_as(page, coach)
    page.goto("/coaching/overview/")
    expect(page.locator("li.coachee")).to_have_count(1)


def test_an_assessor_reads_their_turnaround(page: Page, login_as, director, program, snapshot):
    framework, _ = framework_with_tree()
    form = shipped_forms_ensure()["milestones"]
    now = timezone.now()
    for days_ago, status, took in ((10, "completed", 2), (20, "completed", 6), (30, "open", None)):
        created = now - dt.timedelta(days=days_ago)
        AssessmentRequest.objects.create(
            learner=UserFactory(),
            assessor=director,
            program=program,
            framework=framework,
            form=form,
            status=status,
            created_at=created,
            closed_at=created + dt.timedelta(days=took) if took else None,
        )
    login_as(page, director)
    page.goto("/assessments/inbox/")
    page.get_by_role("link", name="My completion and turnaround").click()
    table = page.locator("[data-turnaround]")
    expect(table.get_by_role("row", name="Received")).to_contain_text("3")
    expect(table.get_by_role("row", name="Median days to complete")).to_contain_text("4.0")
    expect(table.get_by_role("row", name="Expired (open past the due date)")).to_contain_text("1")
    snapshot(page, "assessor-turnaround")


def test_the_header_shows_the_unread_count_and_it_clears(page: Page, login_as, learner):
    for n in range(2):
        Notification.objects.create(recipient=learner, kind=Kind.COMMENT, title=f"Reply {n}")
    login_as(page, learner)
    page.goto("/shared-with-me/")
    inbox = page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox")
    expect(inbox).to_have_accessible_name("Inbox 2 unread")
    inbox.click()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("[data-unread-count]")).to_have_count(0)


def test_the_unread_count_never_widens_a_phone_page(phone_page: Page, login_as, learner):
    Notification.objects.create(recipient=learner, kind=Kind.COMMENT, title="Reply")
    login_as(phone_page, learner)
    phone_page.goto("/shared-with-me/")
    expect(phone_page.locator("[data-unread-count]")).to_have_text("1 unread")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390

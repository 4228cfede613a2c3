"""A coach and a learner work together in the browser: the coach opens the overview and
annotates a shared goal; the learner sees it and replies; the coach's weekly digest holds both;
an action item from their meeting becomes a goal once the learner confirms it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from coaching import digests, services
from portfolio.models import Goal
from portfolio.tests.factories import (
    AssessmentFactory,
    CheckInFactory,
    GoalFactory,
    ReflectionFactory,
    SelfAssessmentFactory,
    framework_with_tree,
)
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Try the ask-tell-ask approach, and **name the emotion** before the plan."
REPLY = "Did it on Tuesday with the Lee family: naming it first changed the room."
ACTION = "Lead two family meetings with a senior observing"


@pytest.fixture
def pair(program):
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    learner = UserFactory(email="dana@example.org", display_name="Dana Okafor")
    EnrollmentFactory(learner=learner, program=program, training_year=2)
    coach = UserFactory(email="sam@example.org", display_name="Dr Sam Reyes")
    calm = UserFactory(display_name="Ari Calm")
    EnrollmentFactory(learner=calm, program=program)
    for person in (learner, calm):
        rel = services.relationship_invite(
            learner=person, coach_email=coach.email, share_scopes=["goals", "checkins"]
        )
        services.relationship_accept(relationship=rel, by=coach)
    today = timezone.localdate()
    goal = GoalFactory(
        learner=learner,
        title="Lead a family meeting about goals of care",
        measure="Two meetings observed, rated 3 or higher",
        target_date=today - dt.timedelta(days=5),
    )
    GoalFactory(
        learner=learner, title="Finish the sepsis module", target_date=today + dt.timedelta(days=9)
    )
    ReflectionFactory(learner=learner, title="A hard night on call")  # never shared
    checkin = CheckInFactory(learner=learner)
    for leaf, level in zip(leaves[:3], ("1", "2", "2.5"), strict=True):
        SelfAssessmentFactory(
            learner=learner,
            competency=leaf,
            level=Decimal(level),
            checkin=checkin,
            assessed_on=today,
        )
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("2.5"), observed_on=today
    )
    return learner, coach, goal


def switch_to(page: Page, login_as, user) -> None:
    page.context.clear_cookies()
    login_as(page, user)


def test_coach_and_learner_annotate_reply_digest_and_turn_an_action_into_a_goal(
    page: Page, login_as, snapshot, pair
):
    learner, coach, goal = pair

    # The coach opens the overview: Dana needs attention first, and the page says why.
    login_as(page, coach)
    page.goto("/coaching/overview/")
    cards = page.locator("li.coachee")
    expect(cards.first.get_by_role("heading")).to_have_text("Dana Okafor")
    expect(cards.first.locator(".reasons")).to_contain_text("1 goal overdue")
    expect(page.get_by_text("A hard night on call")).to_have_count(0)
    snapshot(page, "coaching-overview")

    # …and annotates the shared, overdue goal.
    cards.first.get_by_role("link", name=goal.title).click()
    expect(page.get_by_role("heading", name=goal.title)).to_be_visible()
    page.get_by_label("Comment").fill(COMMENT)
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_role("status")).to_contain_text("Comment sent to Dana Okafor")
    expect(page.locator(".comment strong", has_text="name the emotion")).to_be_visible()
    snapshot(page, "coaching-annotate")

    # The learner finds it in the inbox and replies.
    switch_to(page, login_as, learner)
    page.goto("/coaching/inbox/")
    page.get_by_role("button", name="Dr Sam Reyes commented on your goal").click()
    expect(page.get_by_role("heading", name=goal.title)).to_be_visible()
    expect(page.locator(".comment .markdown").first).to_contain_text("ask-tell-ask")
    page.get_by_label("Your reply").fill(REPLY)
    page.get_by_role("button", name="Reply").click()
    expect(page.locator(".comment.mine")).to_contain_text("naming it first")
    snapshot(page, "coaching-learner-reply")

    # The coach's weekly digest holds both sides of the conversation.
    mail.outbox.clear()
    assert digests.coach_digest_send(
        coach=coach, period_start=digests.week_start(timezone.localdate())
    )
    [digest] = [m for m in mail.outbox if m.to == [coach.email]]
    assert "ask-tell-ask" in digest.body
    assert "naming it first changed the room" in digest.body
    assert "A hard night on call" not in digest.body

    # The coach schedules a meeting; the agenda is drafted; an action item is proposed.
    switch_to(page, login_as, coach)
    page.goto("/coaching/overview/")
    page.get_by_role("link", name="Dana Okafor").click()
    expect(page.locator("#calibration-title + ul")).to_contain_text("rates themself lower")
    snapshot(page, "coaching-coachee")
    page.get_by_role("link", name="Schedule a meeting").click()
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    page.get_by_label("When").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Where").fill("Clinic room 4")
    page.get_by_role("button", name="Schedule").click()
    agenda = page.locator(".agenda")
    expect(agenda).to_contain_text("Overdue goals")
    expect(agenda).to_contain_text(goal.title)
    page.get_by_role("textbox", name="Action").fill(ACTION)
    page.get_by_role("button", name="Propose to Dana Okafor").click()
    expect(page.locator(".action-item")).to_contain_text("Waiting for the learner")
    snapshot(page, "coaching-meeting-coach")

    # The learner confirms: only now does the action become a goal in their plan.
    assert not Goal.objects.filter(title=ACTION).exists()
    switch_to(page, login_as, learner)
    page.goto("/coaching/inbox/")
    page.get_by_role("button", name=f"Confirm an action from your meeting: {ACTION}").click()
    page.get_by_role("button", name="Add to my plan").click()
    expect(page.get_by_role("status")).to_contain_text("is now in your learning plan")
    expect(page.locator(".action-item")).to_contain_text("Confirmed")
    snapshot(page, "coaching-meeting-learner")
    new_goal = Goal.objects.get(title=ACTION)
    assert new_goal.learner == learner and new_goal.status == Goal.Status.ACTIVE


def test_a_learner_reads_and_answers_a_comment_on_a_phone(
    phone_page: Page, login_as, snapshot, pair
):
    learner, coach, goal = pair
    from coaching.selectors import target_visible_to

    target = target_visible_to(viewer=coach, target_type="goal", pk=goal.pk)
    services.comment_post(author=coach, target=target, body=COMMENT)

    login_as(phone_page, learner)
    phone_page.goto("/coaching/")
    expect(phone_page.get_by_text("Dr Sam Reyes")).to_be_visible()
    snapshot(phone_page, "coaching-phone-home")
    phone_page.goto("/coaching/invite/")
    expect(phone_page.get_by_label("Goals and learning plan")).to_be_checked()
    expect(phone_page.get_by_label("Reflections")).not_to_be_checked()
    snapshot(phone_page, "coaching-phone-invite")
    phone_page.goto("/coaching/inbox/")
    snapshot(phone_page, "coaching-phone-inbox")
    phone_page.get_by_role("button", name="Dr Sam Reyes commented on your goal").tap()
    phone_page.get_by_label("Your reply").fill(REPLY)
    phone_page.get_by_role("button", name="Reply").tap()
    expect(phone_page.locator(".comment.mine")).to_contain_text("naming it first")
    snapshot(phone_page, "coaching-phone-reply")
    # Nothing on the page is wider than the phone's screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390

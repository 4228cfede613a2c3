"""The coach's overview: what each coachee shares, who needs attention first and why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from coaching.api import CoacheeSerializer, coachee_document
from coaching.models import CoachingRelationship, Meeting
from coaching.overview import coachee_overview
from coaching.tests.factories import RelationshipFactory
from core.renderers import FastJSONRenderer
from portfolio.models import AccessLog
from portfolio.tests.factories import (
    AssessmentFactory,
    CheckInFactory,
    GoalFactory,
    SelfAssessmentFactory,
    ShareGrantFactory,
    framework_with_tree,
)
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


@pytest.fixture
def leaves(program):
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    return leaves


def make_coachee(coach, program, leaves, *, name, share=True, overdue=0, gap_level="1", year=3):
    learner = UserFactory(display_name=name)
    EnrollmentFactory(learner=learner, program=program, training_year=year)
    RelationshipFactory(learner=learner, coach=coach, accepted_at=timezone.now())
    if share:
        ShareGrantFactory(learner=learner, grantee=coach, share_goals=True, share_checkins=True)
    today = timezone.localdate()
    for n in range(overdue):
        GoalFactory(
            learner=learner, title=f"{name} overdue {n}", target_date=today - dt.timedelta(days=3)
        )
    GoalFactory(learner=learner, title=f"{name} later", target_date=today + dt.timedelta(days=100))
    checkin = CheckInFactory(learner=learner)
    for leaf in leaves[:2]:
        SelfAssessmentFactory(
            learner=learner,
            competency=leaf,
            level=Decimal(gap_level),
            checkin=checkin,
            assessed_on=today,
        )
    return learner


def test_coachees_are_sorted_by_need_with_the_reason_shown(client, coach, program, leaves):
    calm = make_coachee(coach, program, leaves, name="Ada Calm", gap_level="4")
    Meeting.objects.create(
        relationship=CoachingRelationship.objects.get(learner=calm),
        learner=calm,
        coach=coach,
        starts_at=timezone.now() + dt.timedelta(days=2),
    )
    busy = make_coachee(coach, program, leaves, name="Zed Busy", overdue=2, gap_level="1.5")

    rows = coachee_overview(coach=coach)
    assert [r.learner for r in rows] == [busy, calm]
    assert rows[0].reasons[0] == "2 goals overdue"
    assert "Self-rated 2.5 below expected in D1.1" in rows[0].reasons
    assert rows[1].reasons == []
    assert rows[1].next_meeting_at is not None

    client.force_login(coach)
    page = client.get(reverse("coaching-overview")).content.decode()
    assert page.index("Zed Busy") < page.index("Ada Calm")
    assert "2 goals overdue" in page


def test_a_gap_is_measured_from_the_latest_self_assessment(coach, program, leaves):
    learner = make_coachee(coach, program, leaves, name="Growing", gap_level="1")
    today = timezone.localdate()
    earlier_month = today.replace(day=1) - dt.timedelta(days=40)
    # Older ratings (an earlier month, and earlier the same day) do not count; the one
    # entered last today does.
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("5"), assessed_on=earlier_month
    )
    SelfAssessmentFactory(
        learner=learner, competency=leaves[0], level=Decimal("2.5"), assessed_on=today
    )
    # Another learner's latest rating is not theirs.
    SelfAssessmentFactory(competency=leaves[1], level=Decimal("5"), assessed_on=today)

    [row] = coachee_overview(coach=coach)

    levels = {gap.code: gap.self_level for gap in row.gaps}
    assert levels == {"D1.1": Decimal("2.5"), "D1.2": Decimal("1")}


def test_nothing_unshared_appears_and_the_page_says_so(client, coach, program, leaves):
    make_coachee(coach, program, leaves, name="Quiet One", share=False, overdue=1)
    client.force_login(coach)
    page = client.get(reverse("coaching-overview")).content.decode()
    assert "Quiet One" in page
    assert "Quiet One overdue" not in page
    assert "not shared with you" in page
    assert not AccessLog.objects.exists()


def test_what_the_overview_shows_is_in_each_learners_access_log(coach, program, leaves):
    learner = make_coachee(coach, program, leaves, name="Logged", overdue=1)
    coachee_overview(coach=coach)
    entries = AccessLog.objects.filter(learner=learner, viewer=coach)
    assert {e.item_type for e in entries} == {"goal", "checkin"}
    assert all(e.action == "list" and e.grant_id for e in entries)


def test_another_coachs_coachees_and_ended_relationships_are_not_listed(coach, program, leaves):
    other_coach = UserFactory()
    make_coachee(other_coach, program, leaves, name="Not Mine")
    ended = make_coachee(coach, program, leaves, name="Ended")
    CoachingRelationship.objects.filter(learner=ended).update(status="ended")
    assert coachee_overview(coach=coach) == []


def test_a_coachee_who_never_checked_in_is_flagged(coach, program):
    learner = UserFactory(display_name="New Person")
    RelationshipFactory(learner=learner, coach=coach)
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=True)
    [row] = coachee_overview(coach=coach)
    assert "Has not checked in yet" in row.reasons
    assert "No meeting yet" in row.reasons


@pytest.mark.parametrize("coachees", [1, 50])
def test_the_overview_page_takes_the_same_queries_for_1_and_50_coachees(
    client, coach, program, leaves, django_assert_num_queries, coachees
):
    for i in range(coachees):
        year = 1 + i % 3  # with 50, three (program, training year) sets share one levels read
        make_coachee(coach, program, leaves, name=f"Coachee {i:02}", overdue=1, year=year)
    client.force_login(coach)
    # 1 session, 2 user, 3 navigation roles, 4 active relationships with learners,
    # 5 grants applying to the coach, 6 latest check-in per coachee, 7 latest self-assessment
    # per coachee and competency, 8 current enrollments, 9 their programs' frameworks,
    # 10 expected levels (every program and year at once), 11 open goals due soon or overdue,
    # 12 mean self-assessed level per recent check-in (the trend), 13 assessors' recent and
    # earlier means (the trend), 14 last and next meeting per coachee, 15 threads waiting for
    # the coach, 16 the header's unread count, then one bulk INSERT into the access log (2 rows a coachee), which SQLite splits into
    # batches of at most 999 parameters; PostgreSQL takes it in one.
    log_fields = [f for f in AccessLog._meta.concrete_fields if not f.primary_key]
    rows = 2 * coachees
    batches = -(-rows // connection.ops.bulk_batch_size(log_fields, [None] * rows))
    with django_assert_num_queries(16 + batches):
        response = client.get(reverse("coaching-overview"))
    assert AccessLog.objects.count() == rows
    assert response.content.decode().count('<li class="coachee') == coachees


def test_the_coachee_page_shows_what_is_shared_and_logs_it(client, coaching, learner, coach):
    from portfolio.tests.factories import ReflectionFactory

    goal = GoalFactory(learner=learner, title="Shared goal")
    ReflectionFactory(learner=learner, title="Private reflection")
    client.force_login(coach)
    page = client.get(reverse("coaching-coachee", args=[coaching.public_id])).content.decode()
    assert "Shared goal" in page
    assert "Private reflection" not in page
    assert "No self-assessment lies close enough" in page  # calibration is shared, but empty
    assert AccessLog.objects.filter(learner=learner, item_type="goal", item_id=goal.pk).exists()


def test_the_coachee_page_says_what_is_not_shared(client, learner, coach):
    rel = RelationshipFactory(learner=learner, coach=coach)
    client.force_login(coach)
    page = client.get(reverse("coaching-coachee", args=[rel.public_id])).content.decode()
    assert "Goals are not shared with you." in page
    assert "Not shared with you (it needs check-ins" in page
    assert not AccessLog.objects.exists()


def test_the_api_writes_each_coachee_byte_for_byte_as_its_serializer_would(coach, program, leaves):
    busy = make_coachee(coach, program, leaves, name="Busy", overdue=2, gap_level="1.5")
    GoalFactory(learner=busy, target_date=timezone.localdate() + dt.timedelta(days=3))
    Meeting.objects.create(
        relationship=CoachingRelationship.objects.get(learner=busy),
        learner=busy,
        coach=coach,
        starts_at=timezone.now() - dt.timedelta(days=4, microseconds=1234),
    )
    for days, level in ((150, "2"), (10, "3.5")):
        AssessmentFactory(
            learner=busy,
            competency=leaves[0],
            level=Decimal(level),
            observed_on=timezone.localdate() - dt.timedelta(days=days),
        )
    make_coachee(coach, program, leaves, name="Quiet", share=False, overdue=1)
    make_coachee(coach, program, leaves, name="Calm", gap_level="4", year=1)
    rows = coachee_overview(coach=coach)
    assert {bool(r.gaps) for r in rows} == {True, False}
    assert {r.trend is None for r in rows} == {True, False}
    assert any(r.trend and r.trend.assessor_earlier_n for r in rows)
    assert any(r.last_meeting_at for r in rows) and any(r.due_soon_goals for r in rows)

    render = FastJSONRenderer().render
    for row in rows:
        assert render(coachee_document(row)) == render(CoacheeSerializer(row).data)
    api = APIClient()
    api.force_authenticate(coach)
    body = api.get(reverse("api-coaching-overview")).json()
    assert [c["learner"]["name"] for c in body] == [r.learner.name for r in rows]

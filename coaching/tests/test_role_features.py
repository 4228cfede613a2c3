"""What a coach expects day to day: each coachee's trend on the overview, self versus
assessors on the coachee page, meetings as calendar files, and one reminder to several
coachees at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from coaching import services
from coaching.calendar import calendar_file, escape_text, fold
from coaching.models import Meeting
from coaching.overview import coachee_overview
from coaching.tests.factories import RelationshipFactory
from coaching.trends import coachee_trends
from notifications.models import Kind, Notification
from portfolio.models import AccessLog
from portfolio.tests.factories import (
    AssessmentFactory,
    CheckInFactory,
    SelfAssessmentFactory,
    ShareGrantFactory,
    framework_with_tree,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _checkin(learner, leaves, levels, on):
    checkin = CheckInFactory(learner=learner)
    for leaf, level in zip(leaves, levels, strict=False):
        SelfAssessmentFactory(
            learner=learner, competency=leaf, level=Decimal(level), checkin=checkin, assessed_on=on
        )
    return checkin


@pytest.fixture
def leaves(program):
    framework, leaves = framework_with_tree()
    program.frameworks.add(framework)
    return leaves


# --- Trend ----------------------------------------------------------------------------------


def test_the_trend_follows_check_in_means_and_assessor_ratings(coaching, learner, leaves):
    today = timezone.localdate()
    _checkin(learner, leaves, ["2", "2"], today - dt.timedelta(days=60))
    _checkin(learner, leaves, ["2.5", "3"], today - dt.timedelta(days=20))
    AssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=Decimal("2"),
        observed_on=today - dt.timedelta(days=120),
    )
    AssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=Decimal("3"),
        observed_on=today - dt.timedelta(days=10),
    )
    trend = coachee_trends(learner_ids=[learner.pk], today=today)[learner.pk]
    assert [p.mean for p in trend.self_points] == [Decimal("2.0"), Decimal("2.8")]
    assert trend.self_change == Decimal("0.8") and trend.self_direction == "up"
    assert (trend.assessor_earlier, trend.assessor_recent) == (Decimal("2.0"), Decimal("3.0"))
    assert trend.assessor_direction == "up"
    assert len(trend.sparkline.split()) == 2


def test_the_trend_shows_the_last_six_check_ins_by_their_date_within_180_days(
    coaching, learner, leaves
):
    today = timezone.localdate()
    _checkin(learner, leaves, ["4", "4"], today - dt.timedelta(days=200))  # too old
    for weeks_ago, level in enumerate(["3", "2.5", "2", "1.5", "1", "1.5", "2"]):
        _checkin(learner, leaves, [level, level], today - dt.timedelta(weeks=weeks_ago))
    # Entered last, dated before all but the too-old one: it sorts by its date.
    _checkin(learner, leaves, ["3.5", "3"], today - dt.timedelta(days=170))
    # Another learner's check-ins are not theirs.
    _checkin(UserFactory(), leaves, ["1", "1"], today)

    trend = coachee_trends(learner_ids=[learner.pk], today=today)[learner.pk]

    assert [(p.on, p.mean) for p in trend.self_points] == [
        (today - dt.timedelta(weeks=5), Decimal("1.5")),
        (today - dt.timedelta(weeks=4), Decimal("1.0")),
        (today - dt.timedelta(weeks=3), Decimal("1.5")),
        (today - dt.timedelta(weeks=2), Decimal("2.0")),
        (today - dt.timedelta(weeks=1), Decimal("2.5")),
        (today, Decimal("3.0")),
    ]
    assert len(trend.sparkline.split()) == 6


def test_a_check_in_without_items_takes_a_place_but_draws_no_point(coaching, learner, leaves):
    today = timezone.localdate()
    for days_ago in range(6, 0, -1):
        _checkin(learner, leaves, ["2"], today - dt.timedelta(days=days_ago))
    CheckInFactory(learner=learner, assessed_on=today)  # the latest, with no items

    trend = coachee_trends(learner_ids=[learner.pk], today=today)[learner.pk]

    # The six latest check-ins are ranked first; the empty one among them shows nothing.
    assert [p.on for p in trend.self_points] == [
        today - dt.timedelta(days=days_ago) for days_ago in range(5, 0, -1)
    ]


def test_a_check_in_mean_rounds_half_up_to_one_place(coaching, learner, leaves):
    today = timezone.localdate()
    _checkin(learner, leaves, ["2", "2.5"], today)  # 2.25

    trend = coachee_trends(learner_ids=[learner.pk], today=today)[learner.pk]

    assert [p.mean for p in trend.self_points] == [Decimal("2.3")]


def test_the_overview_shows_the_trend_and_logs_the_assessor_side(
    client, coaching, learner, coach, leaves
):
    today = timezone.localdate()
    _checkin(learner, leaves, ["1", "1"], today - dt.timedelta(days=30))
    _checkin(learner, leaves, ["2", "2"], today - dt.timedelta(days=2))
    AssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=Decimal("2"),
        observed_on=today - dt.timedelta(days=5),
    )
    client.force_login(coach)
    page = client.get(reverse("coaching-overview")).content.decode()
    assert "data-trend" in page and "<polyline" in page
    assert "Self 1.0 → 2.0" in page
    assert "Assessors 2.0" in page
    assert AccessLog.objects.filter(
        learner=learner, viewer=coach, scope="records", item_type="assessment"
    ).exists()


def test_no_trend_without_shared_check_ins(client, learner, coach, leaves):
    RelationshipFactory(learner=learner, coach=coach)
    ShareGrantFactory(learner=learner, grantee=coach, share_goals=True, share_checkins=False)
    _checkin(learner, leaves, ["2", "2"], timezone.localdate())
    [row] = coachee_overview(coach=coach)
    assert row.trend is None
    client.force_login(coach)
    assert "data-trend" not in client.get(reverse("coaching-overview")).content.decode()


def test_the_coachee_page_shows_self_against_assessors_by_competency(
    client, coaching, learner, coach, leaves
):
    today = timezone.localdate()
    _checkin(learner, leaves, ["3"], today - dt.timedelta(days=3))
    AssessmentFactory(
        learner=learner,
        competency=leaves[0],
        level=Decimal("2"),
        observed_on=today - dt.timedelta(days=1),
    )
    client.force_login(coach)
    page = client.get(reverse("coaching-coachee", args=[coaching.public_id])).content.decode()
    assert "data-self-vs-assessors" in page
    assert f">{leaves[0].code}</abbr></th><td>3.0</td><td>2.0</td><td>+1.0</td><td>1</td>" in page
    assert "<td>1</td><td>higher</td>" in page


# --- Calendar files -------------------------------------------------------------------------


def test_text_is_escaped_as_rfc_5545_says():
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "DESCRIPTION:" + "é" * 100
    folded = fold(line).split("\r\n")
    assert all(len(part.encode()) <= 75 for part in folded)
    assert all(part.startswith(" ") for part in folded[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(folded)) == line


def _meeting(rel, *, days=3, status=Meeting.Status.SCHEDULED, location="Room 4, ward; B"):
    return Meeting.objects.create(
        relationship=rel,
        learner=rel.learner,
        coach=rel.coach,
        starts_at=timezone.now() + dt.timedelta(days=days),
        duration_minutes=45,
        location=location,
        status=status,
    )


def test_a_meeting_file_has_a_stable_uid_and_crlf_lines(coaching, coach):
    meeting = _meeting(coaching)
    first = calendar_file([meeting], viewer_id=coach.pk, base_url="https://x.test/")
    again = calendar_file([meeting], viewer_id=coach.pk, base_url="https://x.test/")
    assert first == again
    assert first.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert first.endswith("END:VCALENDAR\r\n")
    assert "\n" not in first.replace("\r\n", "")
    assert f"UID:{meeting.public_id}@continuum.meetings\r\n" in first
    assert "LOCATION:Room 4\\, ward\\; B\r\n" in first
    assert "agenda" not in first.lower().replace("agenda and notes", "")


def test_the_meeting_file_downloads_for_both_people_only(client, coaching, learner, coach):
    meeting = _meeting(coaching)
    url = reverse("coaching-meeting-calendar", args=[meeting.public_id])
    for person in (coach, learner):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_the_personal_file_holds_only_upcoming_scheduled_meetings(
    client, coaching, coach, django_assert_num_queries
):
    ahead = _meeting(coaching, days=5)
    _meeting(coaching, days=-5)
    cancelled = _meeting(coaching, days=6, status=Meeting.Status.CANCELLED)
    other = RelationshipFactory(coach=UserFactory(), accepted_at=timezone.now())
    stranger = _meeting(other, days=4)
    client.force_login(coach)
    # 1 session, 2 user, 3 upcoming meetings with both people
    with django_assert_num_queries(3):
        body = client.get(reverse("coaching-meetings-calendar")).content.decode()
    assert body.count("BEGIN:VEVENT") == 1
    assert str(ahead.public_id) in body
    assert str(cancelled.public_id) not in body and str(stranger.public_id) not in body
    api = client.get("/api/v1/coaching/meetings/calendar/")
    assert api.status_code == 200 and api["Content-Type"].startswith("text/calendar")
    assert api.content.decode().count("BEGIN:VEVENT") == 1


# --- Nudges ---------------------------------------------------------------------------------


@pytest.fixture
def two_coachees(coach, program):
    rels = []
    for name in ("Ana Nudge", "Ben Nudge"):
        learner = UserFactory(display_name=name)
        rels.append(
            RelationshipFactory(
                learner=learner, coach=coach, program=program, accepted_at=timezone.now()
            )
        )
    return rels


def test_a_coach_reminds_two_coachees_once_and_it_is_audited(client, coach, two_coachees):
    client.force_login(coach)
    data = {
        "coachees": [str(r.public_id) for r in two_coachees],
        "reminder": "checkin",
        "note": "Before Friday, please.",
    }
    response = client.post(reverse("coaching-nudge"), data, follow=True)
    assert "Reminder sent to Ana Nudge, Ben Nudge." in response.content.decode()
    sent = Notification.objects.filter(kind=Kind.NUDGE)
    assert sorted(n.recipient.name for n in sent) == ["Ana Nudge", "Ben Nudge"]
    assert all("Before Friday" in n.body and n.url == reverse("checkin-start") for n in sent)
    [event] = AuditEvent.objects.filter(action="coaching.nudge")
    assert event.actor == coach and event.after["reminder"] == "checkin"
    assert sorted(event.after["learners"]) == sorted(r.learner_id for r in two_coachees)
    # Back and submit again: nothing more is sent or recorded.
    again = client.post(reverse("coaching-nudge"), data, follow=True).content.decode()
    assert "Already reminded of this today" in again
    assert Notification.objects.filter(kind=Kind.NUDGE).count() == 2
    assert AuditEvent.objects.filter(action="coaching.nudge").count() == 1


def test_only_the_coachs_own_active_coachees_can_be_reminded(client, coach, two_coachees):
    stranger = RelationshipFactory(coach=UserFactory(), accepted_at=timezone.now())
    client.force_login(coach)
    response = client.post(
        "/api/v1/coaching/nudges/",
        {"relationships": [str(stranger.public_id)], "reminder": "goals"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Notification.objects.exists()
    ended = two_coachees[0]
    ended.status = "ended"
    ended.save()
    with pytest.raises(services.ValidationError):
        services.coachees_nudge(coach=coach, relationships=[ended], reminder="goals")


def test_reminders_are_limited_per_hour(client, coach, program):
    client.force_login(coach)
    for i in range(services.NUDGE_BATCHES_PER_HOUR):
        rel = RelationshipFactory(coach=coach, program=program, accepted_at=timezone.now())
        response = client.post(
            "/api/v1/coaching/nudges/",
            {"relationships": [str(rel.public_id)], "reminder": "threads"},
            content_type="application/json",
        )
        assert response.status_code == 200, i
        assert [p["id"] for p in response.json()["sent"]] == [rel.learner_id]
    rel = RelationshipFactory(coach=coach, program=program, accepted_at=timezone.now())
    response = client.post(
        "/api/v1/coaching/nudges/",
        {"relationships": [str(rel.public_id)], "reminder": "threads"},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert "detail" in response.json()
    assert not Notification.objects.filter(recipient=rel.learner).exists()

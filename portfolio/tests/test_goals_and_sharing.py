"""Goals (SMART fields, progress, linked evidence), sharing (grant, revoke, expiry) and the
access log, through services and pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from portfolio import selectors, services
from portfolio.models import (
    AccessLog,
    Evidence,
    Goal,
    GoalProgressNote,
    ShareCircle,
    ShareGrant,
)
from portfolio.tests.factories import (
    EvidenceFactory,
    GoalFactory,
    ReflectionFactory,
    ShareGrantFactory,
)
from tests import factories as base

pytestmark = pytest.mark.django_db


# --- Goals ------------------------------------------------------------------------------------


def test_a_goal_keeps_its_smart_fields_competencies_and_evidence(learner, leaves):
    evidence = EvidenceFactory(learner=learner)
    goal = services.goal_create(
        learner=learner,
        title="Lead a family meeting",
        measure="Two meetings observed, rated 3+",
        plan="Shadow Dr. A first",
        target_date=dt.date(2026, 3, 1),
        competency_ids=[leaves[0].pk],
        evidence_ids=[evidence.pk],
    )
    assert goal.status == Goal.Status.PLANNED
    assert list(goal.competencies.all()) == [leaves[0]]
    assert list(goal.evidence.all()) == [evidence]


def test_evidence_of_another_learner_cannot_be_linked_to_a_goal(learner, other_learner):
    theirs = EvidenceFactory(learner=other_learner)
    with pytest.raises(ValidationError) as error:
        services.goal_create(
            learner=learner,
            title="x",
            measure="y",
            target_date=dt.date(2026, 1, 1),
            evidence_ids=[theirs.pk],
        )
    assert "evidence" in error.value.message_dict
    assert not Goal.objects.exists()


def test_a_first_progress_note_makes_a_planned_goal_active(learner):
    goal = GoalFactory(learner=learner, status=Goal.Status.PLANNED)
    services.goal_progress_note_add(
        goal=goal, text="Did the first one", noted_on=dt.date(2025, 10, 1)
    )
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert goal.progress_notes.get().text == "Did the first one"


def test_a_progress_note_cannot_be_dated_in_the_future(learner):
    goal = GoalFactory(learner=learner)
    with pytest.raises(ValidationError):
        services.goal_progress_note_add(
            goal=goal, text="x", noted_on=timezone.localdate() + dt.timedelta(days=1)
        )
    assert not GoalProgressNote.objects.exists()


def test_an_open_goal_past_its_date_is_overdue_and_a_finished_one_is_not(learner):
    today = dt.date(2026, 1, 10)
    assert GoalFactory(learner=learner, target_date=dt.date(2026, 1, 9)).is_overdue(today)
    assert not GoalFactory(
        learner=learner, target_date=dt.date(2026, 1, 9), status=Goal.Status.ACHIEVED
    ).is_overdue(today)


def test_the_goal_form_creates_a_goal_and_shows_it(client, learner, leaves):
    client.force_login(learner)
    response = client.post(
        reverse("goal-create"),
        {
            "title": "Present at morning report",
            "measure": "Feedback from two attendings",
            "plan": "",
            "target_date": "2026-02-01",
            "status": "active",
            "competencies": [leaves[2].pk],
        },
    )
    goal = Goal.objects.get()
    assert response["Location"] == reverse("goal-detail", args=[goal.pk])
    assert client.get(response["Location"]).status_code == 200


def test_the_goal_form_prefills_a_suggested_competency(client, learner, leaves):
    client.force_login(learner)
    html = client.get(reverse("goal-create") + f"?competency={leaves[1].pk}").content.decode()
    assert re.search(rf'value="{leaves[1].pk}" id="id_competencies_\d+" checked', html)
    assert (
        len(re.findall(r'name="competencies" value="\d+" id="id_competencies_\d+" checked', html))
        == 1
    )


def test_a_goal_with_a_missing_target_date_gets_a_400(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("goal-create"), {"title": "x", "measure": "y", "status": "active"}
    )
    assert response.status_code == 400
    assert not Goal.objects.exists()


def test_progress_notes_are_added_on_the_goal_page(client, learner):
    goal = GoalFactory(learner=learner)
    client.force_login(learner)
    response = client.post(
        reverse("goal-detail", args=[goal.pk]), {"text": "Halfway", "noted_on": "2025-11-01"}
    )
    assert response.status_code == 302
    assert goal.progress_notes.get().text == "Halfway"


@pytest.mark.parametrize("size", [10, 1000])
def test_the_goal_list_runs_a_fixed_number_of_queries(
    client, learner, leaves, size, django_assert_num_queries
):
    goals = Goal.objects.bulk_create(
        Goal(learner=learner, title=f"G{i}", measure="m", target_date=dt.date(2026, 1, 1))
        for i in range(size)
    )
    GoalProgressNote.objects.bulk_create(
        GoalProgressNote(goal=g, text="n", noted_on=dt.date(2025, 1, 1)) for g in goals
    )
    Goal.competencies.through.objects.bulk_create(
        Goal.competencies.through(goal_id=g.pk, competency_id=leaves[0].pk) for g in goals
    )
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 count, 5 page of goals, 6 competencies,
    # 7 their frameworks, 8 evidence, 9 progress notes; focus-next from the dashboard:
    # 10 enrollments, 11 current programs' competencies, 12 expectations, 13 latest levels and monthly
    # means (one statement); 14 active grants
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(15):
        response = client.get(reverse("goal-list"))
    assert response.status_code == 200


# --- Sharing ----------------------------------------------------------------------------------


def test_sharing_with_a_person_by_email(learner, coach):
    grant = services.share_grant_create(
        learner=learner, scopes=["checkins", "goals"], grantee_email=coach.email.upper()
    )
    assert grant.grantee == coach
    assert grant.program is None
    assert sorted(grant.scopes) == ["checkins", "goals"]
    assert grant.is_active()


def test_sharing_with_the_committee_of_ones_own_program(learner, program):
    grant = services.share_grant_create(learner=learner, scopes=["evidence"], program_id=program.pk)
    assert (grant.program, grant.grantee) == (program, None)
    assert grant.audience_label == f"{program} competency committee"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["everything"]}, "scopes"),
        ({"grantee_email": "nobody@example.org"}, "grantee_email"),
        ({"grantee_email": "learner@example.org"}, "grantee_email"),
        ({"grantee_email": ""}, "grantee_email"),
        ({"expires_on": dt.date(2000, 1, 1)}, "expires_on"),
    ],
)
def test_bad_share_requests_are_refused_with_field_errors(learner, coach, kwargs, field):
    arguments = {"learner": learner, "scopes": ["goals"], "grantee_email": coach.email, **kwargs}
    with pytest.raises(ValidationError) as error:
        services.share_grant_create(**arguments)
    assert field in error.value.message_dict
    assert not ShareGrant.objects.exists()


def test_a_committee_of_a_program_the_learner_was_never_in_is_refused(learner, other_program):
    with pytest.raises(ValidationError) as error:
        services.share_grant_create(learner=learner, scopes=["goals"], program_id=other_program.pk)
    assert "program" in error.value.message_dict


def test_revoking_twice_keeps_the_first_time(learner, coach):
    grant = ShareGrantFactory(learner=learner, grantee=coach)
    first = services.share_grant_revoke(grant=grant).revoked_at
    second = services.share_grant_revoke(grant=grant).revoked_at
    assert first is not None and first == second


def test_the_sharing_page_grants_and_revokes(client, learner, coach):
    client.force_login(learner)
    response = client.post(
        reverse("share-list"),
        {"audience": "person", "grantee_email": coach.email, "scopes": ["checkins", "goals"]},
    )
    assert response.status_code == 302
    grant = ShareGrant.objects.get()
    assert client.get(reverse("share-list")).content.decode().count("Stop sharing with") == 1
    client.post(reverse("share-revoke", args=[grant.pk]))
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert "Stop sharing with" not in client.get(reverse("share-list")).content.decode()


def test_the_sharing_form_refuses_an_unknown_person_with_a_400(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("share-list"),
        {"audience": "person", "grantee_email": "stranger@example.org", "scopes": ["goals"]},
    )
    assert response.status_code == 400
    assert "No one with that email address" in response.content.decode()


def test_a_learner_cannot_revoke_someone_elses_grant(client, learner, other_learner, coach):
    grant = ShareGrantFactory(learner=other_learner, grantee=coach)
    client.force_login(learner)
    assert client.post(reverse("share-revoke", args=[grant.pk])).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


# --- Shared pages and the access log ----------------------------------------------------------


def test_the_coach_sees_exactly_what_was_shared_and_every_read_is_logged(client, learner, coach):
    goal = GoalFactory(learner=learner, title="Shared goal")
    reflection = ReflectionFactory(learner=learner, title="Private reflection")
    EvidenceFactory(learner=learner, title="Unshared case")
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=True, share_goals=True)
    client.force_login(coach)
    html = client.get(reverse("shared-portfolio", args=[learner.pk])).content.decode()
    assert "Shared goal" in html
    assert "Private reflection" not in html
    assert "Unshared case" not in html
    assert client.get(reverse("shared-goal", args=[learner.pk, goal.pk])).status_code == 200
    assert (
        client.get(reverse("shared-evidence", args=[learner.pk, reflection.pk])).status_code == 404
    )
    logged = list(AccessLog.objects.order_by("id").values_list("action", "item_type", "item_id"))
    assert logged == [("list", "goal", goal.pk), ("view", "goal", goal.pk)]


def test_after_revocation_the_coachs_next_request_is_a_404(client, learner, coach):
    goal = GoalFactory(learner=learner)
    grant = ShareGrantFactory(learner=learner, grantee=coach, share_goals=True)
    client.force_login(coach)
    assert client.get(reverse("shared-goal", args=[learner.pk, goal.pk])).status_code == 200
    services.share_grant_revoke(grant=grant)
    assert client.get(reverse("shared-goal", args=[learner.pk, goal.pk])).status_code == 404
    assert client.get(reverse("shared-portfolio", args=[learner.pk])).status_code == 404


def test_an_unknown_learner_and_an_unshared_learner_look_the_same(client, learner, coach):
    client.force_login(coach)
    assert client.get(reverse("shared-portfolio", args=[learner.pk])).status_code == 404
    assert client.get(reverse("shared-portfolio", args=[999999])).status_code == 404


def test_the_access_log_is_the_learners_alone(client, learner, coach):
    GoalFactory(learner=learner, title="Shared goal")
    ShareGrantFactory(learner=learner, grantee=coach, share_goals=True)
    client.force_login(coach)
    client.get(reverse("shared-portfolio", args=[learner.pk]))
    coach_view = client.get(reverse("access-log")).content.decode()
    assert "Shared goal" not in coach_view
    client.force_login(learner)
    learner_view = client.get(reverse("access-log")).content.decode()
    assert "Shared goal" in learner_view
    assert coach.name in learner_view


@pytest.mark.parametrize("size", [10, 1000])
def test_the_access_log_page_runs_a_fixed_number_of_queries(
    client, learner, coach, size, django_assert_num_queries
):
    grant = ShareGrantFactory(learner=learner, grantee=coach)
    AccessLog.objects.bulk_create(
        AccessLog(
            learner=learner,
            viewer=coach,
            viewer_name="Coach",
            grant=grant,
            scope="goals",
            item_type="goal",
            item_id=i,
            action="view",
        )
        for i in range(size)
    )
    client.force_login(learner)
    # 1 session, 2 user, 3 navigation roles, 4 count, 5 page of entries with their grants
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        assert client.get(reverse("access-log")).status_code == 200


@pytest.mark.parametrize("size", [10, 1000])
def test_the_shared_portfolio_runs_a_fixed_number_of_queries(
    client, learner, coach, leaves, size, django_assert_num_queries
):
    from assessments.models import CheckIn, SelfAssessment

    ShareGrantFactory(
        learner=learner,
        grantee=coach,
        share_checkins=True,
        share_goals=True,
        share_evidence=True,
        share_reflections=True,
    )
    goals = Goal.objects.bulk_create(
        Goal(learner=learner, title=f"G{i}", measure="m", target_date=dt.date(2026, 1, 1))
        for i in range(size)
    )
    evidence = Evidence.objects.bulk_create(
        Evidence(learner=learner, kind="case_log", title=f"E{i}") for i in range(size)
    )
    checkins = CheckIn.objects.bulk_create(CheckIn(learner=learner) for _ in range(size))
    SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            checkin=c,
            competency=leaves[0],
            level=2,
            assessed_on=dt.date(2025, 1, 1),
        )
        for c in checkins
    )
    Goal.competencies.through.objects.bulk_create(
        Goal.competencies.through(goal_id=g.pk, competency_id=leaves[0].pk) for g in goals
    )
    Goal.evidence.through.objects.bulk_create(
        Goal.evidence.through(goal_id=g.pk, evidence_id=e.pk)
        for g, e in zip(goals, evidence, strict=True)
    )
    Evidence.competencies.through.objects.bulk_create(
        Evidence.competencies.through(evidence_id=e.pk, competency_id=leaves[0].pk)
        for e in evidence
    )
    GoalProgressNote.objects.bulk_create(
        GoalProgressNote(goal=g, text="n", noted_on=dt.date(2025, 1, 1)) for g in goals
    )
    client.force_login(coach)
    # 1 session, 2 user, 3 the learner, 4 grants; check-ins: 5 list, 6 items; evidence: 7 list,
    # 8 competencies, 9 their frameworks; goals: 10 list, 11 competencies, 12 their frameworks,
    # 13 evidence, 14 its competencies, 15 their frameworks, 16 progress notes;
    # 17 access-log insert (one row per item shown), 18 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(19):
        assert client.get(reverse("shared-portfolio", args=[learner.pk])).status_code == 200


def test_the_shared_self_assessment_history_is_paginated_and_logged(client, learner, coach, leaves):
    from portfolio.tests.factories import SelfAssessmentFactory

    SelfAssessmentFactory.create_batch(60, learner=learner, competency=leaves[0])
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=True)
    client.force_login(coach)
    assert client.get(reverse("shared-self-assessments", args=[learner.pk])).status_code == 200
    assert AccessLog.objects.count() == 50


def test_the_timeline_shows_enrollments_and_saves_the_profile(client, learner, program):
    base.EnrollmentFactory(
        learner=learner,
        program=base.ProgramFactory(stage="ume", name="MD program"),
        start_date=dt.date(2021, 8, 1),
        end_date=dt.date(2025, 5, 31),
    )
    client.force_login(learner)
    html = client.get(reverse("portfolio-timeline")).content.decode()
    assert html.index("MD program") < html.index(program.name)
    response = client.post(
        reverse("portfolio-timeline"), {"headline": "PGY-1, internal medicine", "about": ""}
    )
    assert response.status_code == 302
    assert learner.learner_profile.headline == "PGY-1, internal medicine"


@pytest.mark.parametrize("size", [10, 1000])
def test_the_sharing_page_runs_a_fixed_number_of_queries(
    client, learner, coach, size, django_assert_num_queries
):
    ShareGrant.objects.bulk_create(
        ShareGrant(learner=learner, grantee=coach, share_goals=True, revoked_at=timezone.now())
        for _ in range(size)
    )
    client.force_login(learner)
    # 1 session, 2 user, 3 grants (+ grantee, program, institution), 4 programs for the
    # committee choice, 5 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        assert client.get(reverse("share-list")).status_code == 200


@pytest.mark.parametrize("size", [10, 1000])
def test_the_shared_with_me_page_runs_a_fixed_number_of_queries(
    client, coach, size, django_assert_num_queries
):
    learners = [base.UserFactory() for _ in range(3)]
    ShareGrant.objects.bulk_create(
        ShareGrant(learner=learners[i % 3], grantee=coach, share_goals=True) for i in range(size)
    )
    client.force_login(coach)
    # 1 session, 2 user, 3 grants with their learners, 4 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(5):
        response = client.get(reverse("shared-index"))
    assert response.content.decode().count('class="card"><h2') == 3


@pytest.mark.parametrize("size", [10, 1000])
def test_the_shared_self_assessment_history_runs_a_fixed_number_of_queries(
    client, learner, coach, leaves, size, django_assert_num_queries
):
    from assessments.models import SelfAssessment

    SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            competency=leaves[i % len(leaves)],
            level=2,
            assessed_on=dt.date(2025, 1, 1),
        )
        for i in range(size)
    )
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=True)
    client.force_login(coach)
    # 1 session, 2 user, 3 the learner, 4 grants, 5 count, 6 page (+ competency, framework),
    # 7 access-log insert, 8 navigation roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(9):
        assert client.get(reverse("shared-self-assessments", args=[learner.pk])).status_code == 200


def test_home_counts_the_people_sharing_with_me_once_each(client, coach):
    learners = [base.UserFactory() for _ in range(2)]
    revoked = base.UserFactory()
    ShareGrant.objects.bulk_create(
        [
            ShareGrant(learner=learners[0], grantee=coach, share_goals=True),
            ShareGrant(learner=learners[0], grantee=coach, share_evidence=True),
            ShareGrant(learner=learners[1], grantee=coach, share_checkins=True),
            ShareGrant(learner=revoked, grantee=coach, share_goals=True, revoked_at=timezone.now()),
        ]
    )
    client.force_login(coach)
    html = client.get(reverse("home")).content.decode()
    assert re.search(r"People share their portfolio with you: <a [^>]*>2 learners</a>", html)


def test_the_grants_in_force_are_those_neither_revoked_expired_nor_for_a_circle(learner):
    now = timezone.now()
    person = base.UserFactory(display_name="Dr. Reader")
    program = base.ProgramFactory(name="Internal Medicine")
    older = ShareGrantFactory(learner=learner, grantee=person, share_evidence=True)
    committee = ShareGrantFactory(learner=learner, grantee=None, program=program)
    ShareGrantFactory(learner=learner, revoked_at=now - dt.timedelta(minutes=1))
    ShareGrantFactory(learner=learner, expires_at=now - dt.timedelta(minutes=1))
    lasting = ShareGrantFactory(learner=learner, expires_at=now + dt.timedelta(days=1))
    circle = ShareCircle.objects.create(label="Journal club")
    ShareGrantFactory(
        learner=learner, grantee=None, circle=circle, evidence=EvidenceFactory(learner=learner)
    )
    ShareGrantFactory()  # someone else's

    grants = selectors.active_grants(learner=learner, now=now)

    expected = ShareGrant.objects.active(now).filter(learner=learner, circle__isnull=True)
    assert [g.pk for g in grants] == [g.pk for g in expected.order_by("-created_at", "-id")]
    assert [g.pk for g in grants] == [lasting.pk, committee.pk, older.pk]
    labels = {g.pk: g.audience_label for g in grants}
    assert labels[older.pk] == "Dr. Reader"
    assert labels[committee.pk] == "Internal Medicine competency committee"
    assert [g.covers("evidence") for g in grants] == [False, False, True]
    assert grants[0].expires_at == lasting.expires_at

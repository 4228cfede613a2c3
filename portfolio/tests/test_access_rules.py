"""The access rules in portfolio.selectors: owner, named grants, committee grants, expiry,
revocation, and the access log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portfolio import services
from portfolio.models import AccessLog, Scope
from portfolio.selectors import (
    access_for,
    checkins_visible_to,
    evidence_visible_to,
    goals_visible_to,
    learners_sharing_with,
    self_assessments_visible_to,
)
from portfolio.tests.factories import (
    CheckInFactory,
    EvidenceFactory,
    GoalFactory,
    ReflectionFactory,
    SelfAssessmentFactory,
    ShareGrantFactory,
)
from tests import factories as base

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(learner):
    return {
        "evidence": EvidenceFactory(learner=learner),
        "reflection": ReflectionFactory(learner=learner),
        "goal": GoalFactory(learner=learner),
        "self_assessment": SelfAssessmentFactory(learner=learner),
        "checkin": CheckInFactory(learner=learner),
    }


def visible(viewer, learner):
    return {
        "evidence": set(evidence_visible_to(viewer=viewer, learner=learner).not_reflections()),
        "reflections": set(evidence_visible_to(viewer=viewer, learner=learner).reflections()),
        "goals": set(goals_visible_to(viewer=viewer, learner=learner)),
        "self_assessments": set(self_assessments_visible_to(viewer=viewer, learner=learner)),
        "checkins": set(checkins_visible_to(viewer=viewer, learner=learner)),
    }


def test_owner_sees_everything_of_their_own(learner, records):
    seen = visible(learner, learner)
    assert seen["evidence"] == {records["evidence"]}
    assert seen["reflections"] == {records["reflection"]}
    assert seen["goals"] == {records["goal"]}
    assert seen["self_assessments"] == {records["self_assessment"]}
    assert seen["checkins"] == {records["checkin"]}


@pytest.mark.parametrize(
    "person", ["coach", "director", "other_learner", "other_director", "admin_user"]
)
def test_nobody_else_sees_anything_without_a_grant(request, learner, records, person):
    viewer = request.getfixturevalue(person)
    assert all(not items for items in visible(viewer, learner).values())
    assert not access_for(viewer=viewer, learner=learner).allows_anything


def test_a_grant_to_a_person_opens_exactly_its_scopes(learner, coach, records):
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=True, share_goals=True)
    seen = visible(coach, learner)
    assert seen["goals"] == {records["goal"]}
    assert seen["self_assessments"] == {records["self_assessment"]}
    assert seen["checkins"] == {records["checkin"]}
    assert seen["evidence"] == set()
    assert seen["reflections"] == set()


def test_sharing_evidence_does_not_share_reflections(learner, coach, records):
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=False, share_evidence=True)
    seen = visible(coach, learner)
    assert seen["evidence"] == {records["evidence"]}
    assert seen["reflections"] == set()


def test_sharing_reflections_alone_shows_only_reflections(learner, coach, records):
    ShareGrantFactory(learner=learner, grantee=coach, share_checkins=False, share_reflections=True)
    seen = visible(coach, learner)
    assert seen["reflections"] == {records["reflection"]}
    assert seen["evidence"] == set()


def test_a_grant_to_one_person_does_not_reach_another(learner, coach, director, records):
    ShareGrantFactory(learner=learner, grantee=coach, share_goals=True)
    assert visible(director, learner)["goals"] == set()


def test_a_revoked_grant_opens_nothing_on_the_next_read(learner, coach, records):
    grant = ShareGrantFactory(learner=learner, grantee=coach, share_goals=True)
    assert visible(coach, learner)["goals"] == {records["goal"]}
    services.share_grant_revoke(grant=grant)
    assert visible(coach, learner)["goals"] == set()


def test_an_expired_grant_opens_nothing(learner, coach, records):
    ShareGrantFactory(
        learner=learner,
        grantee=coach,
        share_goals=True,
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    assert visible(coach, learner)["goals"] == set()


def test_a_grant_until_today_still_works_today(learner, coach, records):
    services.share_grant_create(
        learner=learner,
        scopes=["goals"],
        grantee_email=coach.email,
        expires_on=timezone.localdate(),
    )
    assert visible(coach, learner)["goals"] == {records["goal"]}


def test_a_committee_grant_reaches_director_coordinator_and_committee_of_that_program(
    learner, program, director, coach, assessor, records
):
    coordinator = base.UserFactory()
    base.ProgramRoleFactory(user=coordinator, program=program, role="coordinator")
    member = base.UserFactory()
    base.ProgramRoleFactory(user=member, program=program, role="committee")
    ShareGrantFactory(learner=learner, grantee=None, program=program, share_goals=True)
    for person in (director, coordinator, member):
        assert visible(person, learner)["goals"] == {records["goal"]}
    # A coach or assessor of the same program is not on the committee.
    for person in (coach, assessor):
        assert visible(person, learner)["goals"] == set()


def test_a_committee_grant_does_not_reach_another_programs_director(
    learner, program, other_director, records
):
    ShareGrantFactory(learner=learner, grantee=None, program=program, share_goals=True)
    assert visible(other_director, learner)["goals"] == set()


def test_a_grant_never_shows_another_learners_items(learner, other_learner, coach):
    EvidenceFactory(learner=other_learner)
    ShareGrantFactory(learner=learner, grantee=coach, share_evidence=True)
    assert list(evidence_visible_to(viewer=coach, learner=other_learner)) == []


def test_goals_shown_to_a_grantee_list_only_evidence_they_may_see(learner, coach):
    goal = GoalFactory(learner=learner)
    goal.evidence.add(EvidenceFactory(learner=learner), ReflectionFactory(learner=learner))
    ShareGrantFactory(learner=learner, grantee=coach, share_goals=True, share_evidence=True)
    shown = goals_visible_to(viewer=coach, learner=learner).get()
    assert [e.kind for e in shown.evidence.all()] == ["case_log"]


def test_learners_sharing_with_lists_people_and_their_scopes(learner, coach, other_learner):
    ShareGrantFactory(learner=learner, grantee=coach, share_goals=True, share_checkins=False)
    ShareGrantFactory(learner=learner, grantee=coach, share_evidence=True, share_checkins=False)
    ShareGrantFactory(
        learner=other_learner, grantee=coach, share_goals=True, revoked_at=timezone.now()
    )
    assert learners_sharing_with(viewer=coach) == [
        (learner, frozenset({Scope.GOALS, Scope.EVIDENCE}))
    ]


def test_access_log_records_each_item_a_grantee_is_shown(learner, coach, records):
    grant = ShareGrantFactory(learner=learner, grantee=coach, share_goals=True)
    access = access_for(viewer=coach, learner=learner)
    services.access_log_record(access=access, items=[records["goal"]], action="view")
    entry = AccessLog.objects.get()
    assert (entry.learner, entry.viewer, entry.grant, entry.scope, entry.item_id) == (
        learner,
        coach,
        grant,
        "goals",
        records["goal"].pk,
    )
    assert entry.item_label == records["goal"].title


def test_access_log_ignores_the_owners_own_reads(learner, records):
    access = access_for(viewer=learner, learner=learner)
    assert services.access_log_record(access=access, items=[records["goal"]]) == 0
    assert not AccessLog.objects.exists()


def test_access_for_takes_one_query_for_others_and_none_for_the_owner(
    learner, coach, django_assert_num_queries
):
    with django_assert_num_queries(0):
        access_for(viewer=learner, learner=learner)
    with django_assert_num_queries(1):  # the active grants that apply to the coach
        access_for(viewer=coach, learner=learner)

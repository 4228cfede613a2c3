"""Coaching relationships: invited by the learner or assigned by a program; accepted by the
side that was asked; ended by either. A relationship alone opens nothing of the portfolio."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from coaching import services
from coaching.models import CoachingRelationship, Meeting
from coaching.selectors import target_visible_to
from notifications.models import Notification
from portfolio.models import ShareGrant
from portfolio.tests.factories import CheckInFactory, GoalFactory
from tests.factories import EnrollmentFactory, ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def sees_goal(viewer, goal) -> bool:
    return target_visible_to(viewer=viewer, target_type="goal", pk=goal.pk) is not None


def test_an_invitation_waits_for_the_coach_and_shares_nothing_yet(learner, coach):
    goal = GoalFactory(learner=learner)
    rel = services.relationship_invite(learner=learner, coach_email=coach.email)

    assert rel.status == CoachingRelationship.Status.PENDING
    assert rel.awaiting == "coach"
    assert rel.share_scopes == ["checkins", "goals"]
    assert not ShareGrant.objects.exists()
    assert not sees_goal(coach, goal)
    assert Notification.objects.get(recipient=coach).kind == "relationship"


def test_when_the_coach_accepts_the_confirmed_share_is_granted_to_them_only(
    learner, coach, assessor
):
    goal = GoalFactory(learner=learner)
    rel = services.relationship_invite(
        learner=learner, coach_email=coach.email, share_scopes=["goals"]
    )
    rel = services.relationship_accept(relationship=rel, by=coach)

    assert rel.status == CoachingRelationship.Status.ACTIVE
    grant = rel.share_grant
    assert grant.grantee == coach and grant.scopes == ["goals"]
    assert sees_goal(coach, goal)
    assert not sees_goal(assessor, goal)
    checkin = CheckInFactory(learner=learner)
    assert target_visible_to(viewer=coach, target_type="checkin", pk=checkin.pk) is None
    assert Notification.objects.filter(recipient=learner, title__contains="accepted").exists()


def test_a_learner_cannot_accept_their_own_invitation(learner, coach):
    rel = services.relationship_invite(learner=learner, coach_email=coach.email)
    with pytest.raises(PermissionDenied):
        services.relationship_accept(relationship=rel, by=learner)


def test_a_program_assignment_waits_for_the_learner_who_chooses_the_share(learner, coach, director):
    rel = services.relationship_assign(
        assigned_by=director,
        program=director.program_roles.get().program,
        learner=learner,
        coach=coach,
    )
    assert rel.awaiting == "learner"
    assert Notification.objects.get(recipient=learner).url == reverse(
        "coaching-relationship", args=[rel.public_id]
    )
    with pytest.raises(PermissionDenied):
        services.relationship_accept(relationship=rel, by=coach)

    rel = services.relationship_accept(relationship=rel, by=learner, share_scopes=["checkins"])
    assert rel.share_grant.scopes == ["checkins"]
    goal = GoalFactory(learner=learner)
    assert not sees_goal(coach, goal)


def test_accepting_with_nothing_ticked_starts_coaching_without_a_share(learner, coach, director):
    rel = services.relationship_assign(
        assigned_by=director,
        program=director.program_roles.get().program,
        learner=learner,
        coach=coach,
    )
    rel = services.relationship_accept(relationship=rel, by=learner, share_scopes=[])
    assert rel.is_active()
    assert rel.share_grant is None
    assert not ShareGrant.objects.exists()


def test_only_the_programs_director_or_coordinator_assigns(learner, coach, other_director, program):
    with pytest.raises(PermissionDenied):
        services.relationship_assign(
            assigned_by=other_director, program=program, learner=learner, coach=coach
        )


def test_a_director_cannot_assign_a_learner_of_another_program(
    other_learner, coach, director, program
):
    with pytest.raises(ValidationError) as error:
        services.relationship_assign(
            assigned_by=director, program=program, learner=other_learner, coach=coach
        )
    assert "learner" in error.value.message_dict
    assert not CoachingRelationship.objects.exists()


def test_a_second_open_relationship_with_the_same_coach_is_refused(learner, coach):
    services.relationship_invite(learner=learner, coach_email=coach.email)
    with pytest.raises(ValidationError):
        services.relationship_invite(learner=learner, coach_email=coach.email)
    assert CoachingRelationship.objects.count() == 1


@pytest.mark.parametrize("email", ["nobody@example.org", "", "learner@example.org"])
def test_inviting_an_unknown_address_or_yourself_is_refused(learner, email):
    with pytest.raises(ValidationError) as error:
        services.relationship_invite(learner=learner, coach_email=email)
    assert "coach_email" in error.value.message_dict
    assert not CoachingRelationship.objects.exists()


def test_an_unknown_scope_is_refused(learner, coach):
    with pytest.raises(ValidationError):
        services.relationship_invite(
            learner=learner, coach_email=coach.email, share_scopes=["everything"]
        )


@pytest.mark.parametrize("ender", ["learner", "coach"])
def test_either_side_ends_it_which_revokes_the_share_and_cancels_meetings_ahead(
    learner, coach, ender
):
    goal = GoalFactory(learner=learner)
    rel = services.relationship_invite(learner=learner, coach_email=coach.email)
    rel = services.relationship_accept(relationship=rel, by=coach)
    ahead = Meeting.objects.create(
        relationship=rel,
        learner=learner,
        coach=coach,
        starts_at=timezone.now() + dt.timedelta(days=3),
    )
    assert sees_goal(coach, goal)

    services.relationship_end(relationship=rel, by={"learner": learner, "coach": coach}[ender])

    rel.refresh_from_db()
    assert rel.status == CoachingRelationship.Status.ENDED
    assert rel.share_grant.revoked_at is not None
    assert not sees_goal(coach, goal)
    ahead.refresh_from_db()
    assert ahead.status == Meeting.Status.CANCELLED


def test_someone_else_cannot_end_it(learner, coach, director):
    rel = services.relationship_invite(learner=learner, coach_email=coach.email)
    rel = services.relationship_accept(relationship=rel, by=coach)
    with pytest.raises(PermissionDenied):
        services.relationship_end(relationship=rel, by=director)


def test_a_declined_invitation_can_be_sent_again(learner, coach):
    rel = services.relationship_invite(learner=learner, coach_email=coach.email)
    services.relationship_decline(relationship=rel, by=coach)
    again = services.relationship_invite(learner=learner, coach_email=coach.email)
    assert again.pk != rel.pk


# --- Pages ----------------------------------------------------------------------------------


def test_the_invite_page_sends_an_invitation(client, learner, coach):
    client.force_login(learner)
    response = client.post(
        reverse("coaching-invite"),
        {"coach_email": coach.email, "share_scopes": ["goals", "evidence"], "message": "Hi"},
    )
    assert response.status_code == 302
    rel = CoachingRelationship.objects.get()
    assert rel.share_scopes == ["evidence", "goals"]
    assert rel.message == "Hi"


def test_the_invite_page_shows_why_an_address_was_refused(client, learner):
    client.force_login(learner)
    response = client.post(reverse("coaching-invite"), {"coach_email": "ghost@example.org"})
    assert response.status_code == 200
    assert "No one with that email address" in response.content.decode()
    assert not CoachingRelationship.objects.exists()


def test_the_learner_accepts_a_program_assignment_on_its_page(client, learner, coach, director):
    rel = services.relationship_assign(
        assigned_by=director,
        program=director.program_roles.get().program,
        learner=learner,
        coach=coach,
    )
    client.force_login(learner)
    page = client.get(reverse("coaching-relationship", args=[rel.public_id]))
    assert "Accept and share" in page.content.decode()
    client.post(
        reverse("coaching-relationship-accept", args=[rel.public_id]), {"share_scopes": ["goals"]}
    )
    rel.refresh_from_db()
    assert rel.is_active() and rel.share_scopes == ["goals"]


def test_a_stranger_gets_404_for_a_relationship(client, learner, coach, other_learner):
    rel = services.relationship_invite(learner=learner, coach_email=coach.email)
    client.force_login(other_learner)
    assert client.get(reverse("coaching-relationship", args=[rel.public_id])).status_code == 404
    response = client.post(reverse("coaching-relationship-accept", args=[rel.public_id]))
    assert response.status_code == 404


def test_the_assign_page_proposes_a_coach(client, learner, coach, director, program):
    client.force_login(director)
    response = client.post(
        reverse("coaching-assign"),
        {"program": program.pk, "learner": learner.pk, "coach": coach.pk},
    )
    assert response.status_code == 302
    assert CoachingRelationship.objects.get().origin == "program"


def test_the_assign_page_only_offers_the_directors_own_learners(
    client, director, other_learner, coach, program
):
    client.force_login(director)
    response = client.post(
        reverse("coaching-assign"),
        {"program": program.pk, "learner": other_learner.pk, "coach": coach.pk},
    )
    assert response.status_code == 200  # the form refuses a learner it does not offer
    assert not CoachingRelationship.objects.exists()


def test_a_coordinator_may_assign_but_a_committee_member_may_not(learner, coach, program):
    coordinator = UserFactory()
    ProgramRoleFactory(user=coordinator, program=program, role="coordinator")
    member = UserFactory()
    ProgramRoleFactory(user=member, program=program, role="committee")
    services.relationship_assign(
        assigned_by=coordinator, program=program, learner=learner, coach=coach
    )
    other = UserFactory()
    EnrollmentFactory(learner=other, program=program)
    with pytest.raises(PermissionDenied):
        services.relationship_assign(
            assigned_by=member, program=program, learner=other, coach=coach
        )

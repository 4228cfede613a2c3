"""The first screen: a new learner is told what to do first; a faculty member sees their
requests."""

from __future__ import annotations

import pytest

from assessments.tests.factories import AssessmentRequestFactory
from coaching.models import CoachingRelationship
from portfolio.tests.factories import CheckInFactory, ShareGrantFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_learner_is_told_to_check_in_connect_a_coach_and_share(client, learner):
    client.force_login(learner)

    page = client.get("/")

    assert page.status_code == 200
    steps = page.context["first_steps"]
    assert [s.title for s in steps] == [
        "Do your first check-in",
        "Connect a coach",
        "Share with your competency committee",
    ]
    assert [s.done for s in steps] == [False, False, False]
    assert b'href="/assessments/check-in/"' in page.content
    assert b"Start here" in page.content


def test_steps_are_ticked_as_done_and_the_card_goes_when_all_are(client, learner, program):
    client.force_login(learner)
    CheckInFactory(learner=learner)
    assert [s.done for s in client.get("/").context["first_steps"]] == [True, False, False]

    CoachingRelationship.objects.create(
        learner=learner, coach=UserFactory(), origin="learner", status="active", proposed_by=learner
    )
    ShareGrantFactory(learner=learner, grantee=None, program=program)
    page = client.get("/")

    assert page.context["first_steps"] == []
    assert b"Start here" not in page.content


def test_someone_without_an_enrollment_gets_no_first_steps(client):
    client.force_login(UserFactory())

    assert client.get("/").context["first_steps"] == []


def test_a_new_faculty_member_sees_where_requests_will_appear(client, assessor):
    client.force_login(assessor)

    page = client.get("/")

    assert page.context["faculty_requests"] == []
    assert b"Observation requests to you" in page.content
    assert b"None yet" in page.content


def test_a_faculty_member_sees_the_requests_addressed_to_them(client, assessor, program):
    someone = UserFactory(display_name="Rae Learner")
    AssessmentRequestFactory(assessor=assessor, learner=someone, program=program)
    AssessmentRequestFactory(assessor=UserFactory(), program=program)
    client.force_login(assessor)

    page = client.get("/")

    assert [r.learner for r in page.context["faculty_requests"]] == [someone]
    assert b"Rae Learner" in page.content


def test_a_learner_without_an_assessor_role_gets_no_requests_card(client, learner):
    client.force_login(learner)

    assert client.get("/").context["faculty_requests"] is None

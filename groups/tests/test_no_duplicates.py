"""Each create form of the group pages creates once per rendered page (core.once)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import FeedbackRequest, GroupGoal, LearningGroup, Membership, Post
from groups.tests.factories import group_with
from portfolio.models import ShareGrant
from portfolio.tests.factories import EvidenceFactory
from tests import factories as base
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(db):
    return base.UserFactory(email="ana@example.org", display_name="Ana Rivera")


@pytest.fixture
def ben(db):
    return base.UserFactory(email="ben@example.org", display_name="Ben Osei")


@pytest.fixture
def group(ana, ben):
    return group_with(ana, ben)


def detail(group):
    return reverse("group-detail", args=[group.public_id])


def test_starting_a_group_twice_from_one_page_makes_one_group(client, ana):
    client.force_login(ana)
    data = {"name": "Night float", "purpose": ""}
    assert_created_once(client, reverse("group-list"), data, LearningGroup.objects.count, "group")


def test_a_post_sent_twice_from_one_page_is_one_post(client, ana, group):
    client.force_login(ana)
    url = reverse("group-post", args=[group.public_id])
    data = {"body": "Journal club Friday"}
    assert_created_once(client, url, data, Post.objects.count, "post", page=detail(group))


def test_an_invitation_sent_twice_from_one_page_is_one_invitation(client, ana, group):
    cy = base.UserFactory(email="cy@example.org")
    client.force_login(ana)
    url = reverse("group-invite", args=[group.public_id])
    data = {"email": cy.email, "role": "member"}
    count = Membership.objects.filter(user=cy).count
    assert_created_once(
        client, url, data, count, "invitation", page=detail(group), fresh_creates=False
    )


def test_a_group_goal_sent_twice_from_one_page_is_one_goal(client, ana, group):
    client.force_login(ana)
    url = reverse("group-goal-create", args=[group.public_id])
    data = {"title": "Present a case", "measure": "Each of us once", "target_date": "2100-01-01"}
    assert_created_once(
        client, url, data, GroupGoal.objects.count, "shared goal", page=detail(group)
    )


def test_a_share_sent_twice_from_one_page_is_one_share(client, ana, group):
    evidence = EvidenceFactory(learner=ana, title="Discharge summary")
    client.force_login(ana)
    url = reverse("group-share", args=[group.public_id])
    data = {"evidence": str(evidence.public_id)}
    assert_created_once(
        client,
        url,
        data,
        ShareGrant.objects.count,
        "share",
        page=detail(group),
        fresh_creates=False,  # sharing one item again is the same share
    )


def test_a_feedback_request_sent_twice_from_one_page_is_one_request(client, ana, group):
    client.force_login(ana)
    url = reverse("group-feedback-create", args=[group.public_id])
    data = {"topic": "Grand rounds talk", "question": "Was it clear?", "evidence": ""}
    assert_created_once(
        client, url, data, FeedbackRequest.objects.count, "feedback request", page=detail(group)
    )


def test_a_refused_action_leaves_the_token_usable(client, ana, group):
    """The group page refuses by redirecting back with an error; nothing was created."""
    client.force_login(ana)
    url = reverse("group-goal-create", args=[group.public_id])
    token = "6f0c1c9e-6b8e-4a51-9d55-5b7f4f2f8d11"
    client.post(url, {"title": "", "measure": "", "form_token": token})
    ok = {"title": "Present a case", "measure": "Each of us once", "target_date": "2100-01-01"}
    client.post(url, {**ok, "form_token": token})
    assert GroupGoal.objects.count() == 1

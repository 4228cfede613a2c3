"""The demo's learning group: three residents and their coach as a guest, a feed, a shared
piece of evidence and peer feedback answered; seeding again adds nothing."""

from __future__ import annotations

import pytest

from demo.groups import GROUP_MODELS, GROUP_NAME
from demo.seed import seed_demo
from demo.tests.demo_frameworks import make_demo_frameworks
from groups.models import FeedbackAnswer, FeedbackRequest, LearningGroup, Membership, Post
from groups.selectors import answers_visible_to, shared_items_visible_to

pytestmark = pytest.mark.django_db

ANA = "ana.rivera@demo.continuum.test"


def test_the_demo_has_a_group_with_posts_shares_and_answered_peer_feedback(db):
    make_demo_frameworks()
    seed_demo(learners=8)
    group = LearningGroup.objects.get(name=GROUP_NAME)
    members = Membership.objects.filter(group=group, status="active")
    assert members.count() == 4
    assert members.filter(role="guest", user__email="nadia.haddad@demo.continuum.test").exists()
    assert Post.objects.filter(group=group).count() == 3
    ana = group.created_by
    assert ana.email == ANA
    assert [g.evidence.learner_id for g in shared_items_visible_to(viewer=ana, group=group)] == [
        ana.pk
    ]
    asked = FeedbackRequest.objects.get(group=group, asker=ana)
    assert answers_visible_to(viewer=ana, request=asked).count() == 2
    assert FeedbackAnswer.objects.filter(request__group=group).count() == 3

    counts = {m.__name__: m.objects.count() for m in GROUP_MODELS}
    seed_demo(learners=8)
    assert {m.__name__: m.objects.count() for m in GROUP_MODELS} == counts

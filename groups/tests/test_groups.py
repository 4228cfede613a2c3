"""Learning groups: membership by acceptance and at most 12 people, the feed, items shared
explicitly (read through portfolio's rule, logged for the owner, withdrawn on leaving), shared
goals, peer feedback that reaches the asker alone, and the clear refusals of bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from groups.models import (
    FeedbackAnswer,
    FeedbackRequest,
    GoalAdoption,
    LearningGroup,
    Membership,
    Post,
)
from groups.services import (
    feedback_answer_record,
    feedback_request_create,
    group_goal_adopt,
    group_goal_create,
    group_goal_progress_show,
    group_invitation_accept,
    group_item_share,
    group_leave,
    post_create,
)
from groups.tests.factories import group_with, invite
from notifications.models import Kind, Notification
from notifications.services import notification_preference_set
from portfolio.models import AccessLog, Goal, ShareGrant
from portfolio.selectors import (
    evidence_visible_to,
    goals_visible_to,
    learners_sharing_with,
    share_grants_of,
)
from portfolio.tests.factories import EvidenceFactory, ReflectionFactory
from tests import factories as base

pytestmark = pytest.mark.django_db
FUTURE = dt.date(2100, 1, 1)


@pytest.fixture
def ana(db):
    return base.UserFactory(email="ana@example.org", display_name="Ana Rivera")


@pytest.fixture
def ben(db):
    return base.UserFactory(email="ben@example.org", display_name="Ben Osei")


@pytest.fixture
def cy(db):
    return base.UserFactory(email="cy@example.org", display_name="Cy Park")


@pytest.fixture
def group(ana, ben, cy):
    return group_with(ana, ben, cy)


def api(client, user):
    client.force_login(user)
    return client


# --- Membership ---------------------------------------------------------------------------


def test_an_invited_person_sees_nothing_of_the_group_until_they_accept(client, ana, ben):
    group = group_with(ana)
    membership = invite(group, ana, ben)
    client.force_login(ben)
    assert client.get(reverse("group-detail", args=[group.public_id])).status_code == 404
    assert client.get(f"/api/v1/groups/{group.public_id}/posts/").status_code == 404
    invitations = client.get("/api/v1/groups/invitations/").json()["results"]
    assert [i["group"]["name"] for i in invitations] == ["Study group"]
    response = client.post(f"/api/v1/groups/{group.public_id}/accept/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    membership.refresh_from_db()
    assert membership.status == Membership.Status.ACTIVE
    assert client.get(reverse("group-detail", args=[group.public_id])).status_code == 200


def test_a_thirteenth_person_is_refused_with_a_clear_error_and_nothing_written(client, ana):
    group = group_with(ana, *[base.UserFactory() for _ in range(10)])
    last = base.UserFactory()
    invite(group, ana, last)  # the 12th person: an open invitation counts
    thirteenth = base.UserFactory(email="thirteen@example.org")
    before = Membership.objects.count(), Notification.objects.count()
    response = api(client, ana).post(
        f"/api/v1/groups/{group.public_id}/invitations/",
        {"email": thirteenth.email},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "at most 12 people" in response.json()["email"][0]
    assert (Membership.objects.count(), Notification.objects.count()) == before
    assert not Membership.objects.filter(user=thirteenth).exists()
    # The page says the same, on the group's page.
    page = client.post(
        reverse("group-invite", args=[group.public_id]),
        {"email": thirteenth.email, "role": "member"},
        follow=True,
    )
    assert "at most 12 people" in page.content.decode()
    assert not Membership.objects.filter(user=thirteenth).exists()


def test_a_full_group_refuses_an_acceptance_past_twelve(ana):
    group = group_with(ana, *[base.UserFactory() for _ in range(10)])
    pending = invite(group, ana, base.UserFactory())
    # Twelve people; a thirteenth sneaks in as active by hand, the acceptance is refused.
    Membership.objects.create(group=group, user=base.UserFactory(), status="active")
    with pytest.raises(ValidationError, match="at most 12"):
        group_invitation_accept(membership=pending)
    pending.refresh_from_db()
    assert pending.status == Membership.Status.INVITED


def test_a_coach_joins_as_a_guest_reads_and_answers_but_does_not_invite(client, group, ana, coach):
    group_invitation_accept(membership=invite(group, ana, coach, role="guest"))
    request = feedback_request_create(group=group, asker=ana, topic="Grand rounds talk")
    client.force_login(coach)
    assert client.get(reverse("group-detail", args=[group.public_id])).status_code == 200
    answer = client.post(
        f"/api/v1/groups/{group.public_id}/feedback/{request.public_id}/answers/",
        {"went_well": "Clear", "to_improve": "Slower", "clarity": 5},
        content_type="application/json",
    )
    assert answer.status_code == 201
    refused = client.post(
        f"/api/v1/groups/{group.public_id}/invitations/",
        {"email": "someone@example.org"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "Guests cannot invite" in refused.json()["detail"]


# --- The feed ------------------------------------------------------------------------------


def test_posts_are_markdown_sanitised(ana, group):
    post = post_create(
        group=group, author=ana, body="**Hi** <script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<strong>Hi</strong>" in post.body_html
    assert "<script" not in post.body_html
    assert "javascript:" not in post.body_html


def test_a_post_to_a_group_one_has_left_is_refused_clearly(client, ana, ben, group):
    group_leave(group=group, user=ben)
    with pytest.raises(ValidationError, match="not a member"):
        post_create(group=group, author=ben, body="Still here?")
    response = api(client, ben).post(
        f"/api/v1/groups/{group.public_id}/posts/",
        {"body": "Still here?"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not a member of this group" in response.json()["detail"]
    page = client.post(reverse("group-post", args=[group.public_id]), {"body": "Hi"}, follow=True)
    assert "not a member of this group" in page.content.decode()
    assert not Post.objects.filter(author=ben).exists()


def test_an_outsider_gets_404_for_every_group_page_and_endpoint(client, group, other_learner):
    client.force_login(other_learner)
    gid = group.public_id
    for path in [
        reverse("group-detail", args=[gid]),
        f"/api/v1/groups/{gid}/",
        f"/api/v1/groups/{gid}/posts/",
        f"/api/v1/groups/{gid}/shares/",
        f"/api/v1/groups/{gid}/goals/",
        f"/api/v1/groups/{gid}/feedback/",
    ]:
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/v1/groups/{gid}/posts/", {"body": "x"}).status_code == 404


def test_a_retried_post_with_the_same_token_is_one_post(client, ben, group):
    token = str(uuid.uuid4())
    for _ in range(2):
        response = api(client, ben).post(
            f"/api/v1/groups/{group.public_id}/posts/",
            {"body": "Journal club Friday", "client_token": token},
            content_type="application/json",
        )
        assert response.status_code == 201
    assert Post.objects.filter(author=ben).count() == 1


# --- Sharing -------------------------------------------------------------------------------


def test_only_the_item_shared_leaves_the_portfolio_and_its_reads_are_logged(
    client, ana, ben, group
):
    shared = EvidenceFactory(learner=ana, title="Central line log")
    EvidenceFactory(learner=ana, title="Not shared")
    ReflectionFactory(learner=ana, title="Private reflection")
    grant = group_item_share(group=group, learner=ana, evidence_public_id=shared.public_id)
    visible = evidence_visible_to(viewer=ben, learner=ana)
    assert [e.title for e in visible] == ["Central line log"]
    assert not goals_visible_to(viewer=ben, learner=ana).exists()
    # A group share is not a share of whole scopes: not in the sharing page or coach lists.
    assert grant not in share_grants_of(learner=ana)
    assert learners_sharing_with(viewer=ben) == []
    client.force_login(ben)
    listed = client.get(f"/api/v1/groups/{group.public_id}/shares/").json()["results"]
    assert [i["title"] for i in listed] == ["Central line log"]
    item = client.get(f"/api/v1/groups/{group.public_id}/shares/{grant.pk}/")
    assert item.status_code == 200
    assert item.json()["body"] == shared.body
    log = AccessLog.objects.filter(learner=ana, viewer=ben).order_by("id")
    assert [(r.action, r.item_id, r.grant_id) for r in log] == [
        ("list", shared.pk, grant.pk),
        ("view", shared.pk, grant.pk),
    ]


def test_sharing_an_item_one_does_not_own_is_refused_and_nothing_written(client, ana, ben, group):
    bens = EvidenceFactory(learner=ben)
    before = ShareGrant.objects.count()
    for evidence in [bens.public_id, uuid.uuid4()]:
        response = api(client, ana).post(
            f"/api/v1/groups/{group.public_id}/shares/",
            {"evidence": str(evidence)},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json()["evidence"] == ["Share only evidence from your own portfolio."]
    refused = client.post(
        f"/api/v1/groups/{group.public_id}/feedback/",
        {"evidence": str(bens.public_id)},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert ShareGrant.objects.count() == before
    assert not FeedbackRequest.objects.exists()


def test_sharing_twice_is_one_share(ana, group):
    evidence = EvidenceFactory(learner=ana)
    first = group_item_share(group=group, learner=ana, evidence_public_id=evidence.public_id)
    again = group_item_share(group=group, learner=ana, evidence_public_id=evidence.public_id)
    assert first.pk == again.pk


def test_leaving_withdraws_ones_shares_from_the_group(client, ana, ben, cy, group):
    evidence = EvidenceFactory(learner=ben, title="Ben's case")
    grant = group_item_share(group=group, learner=ben, evidence_public_id=evidence.public_id)
    client.force_login(cy)
    assert client.get(f"/api/v1/groups/{group.public_id}/shares/{grant.pk}/").status_code == 200
    response = api(client, ben).post(f"/api/v1/groups/{group.public_id}/leave/")
    assert response.json() == {"shares_withdrawn": 1}
    client.force_login(cy)
    assert client.get(f"/api/v1/groups/{group.public_id}/shares/").json()["results"] == []
    assert client.get(f"/api/v1/groups/{group.public_id}/shares/{grant.pk}/").status_code == 404
    assert not evidence_visible_to(viewer=cy, learner=ben).exists()
    # And the one who left no longer reads what the others share.
    anas = EvidenceFactory(learner=ana)
    group_item_share(group=group, learner=ana, evidence_public_id=anas.public_id)
    assert not evidence_visible_to(viewer=ben, learner=ana).exists()


# --- Goals -----------------------------------------------------------------------------------


def test_an_adopted_goal_is_in_ones_plan_and_its_progress_shown_only_by_choice(
    client, ana, ben, group
):
    group_goal = group_goal_create(
        group=group, creator=ana, title="Present a case monthly", measure="Three this block"
    )
    adoption = group_goal_adopt(group_goal=group_goal, learner=ben, target_date=FUTURE)
    assert Goal.objects.get(learner=ben).title == "Present a case monthly"
    assert group_goal_adopt(group_goal=group_goal, learner=ben, target_date=FUTURE) == adoption
    client.force_login(ana)
    [row] = client.get(f"/api/v1/groups/{group.public_id}/goals/").json()
    assert row["adopted_by"] == [
        {
            "person": {"id": ben.pk, "name": ben.name},
            "shows_progress": False,
            "status": None,
            "latest_note": None,
        }
    ]
    assert not goals_visible_to(viewer=ana, learner=ben).exists()
    group_goal_progress_show(adoption=adoption, show=True)
    [row] = client.get(f"/api/v1/groups/{group.public_id}/goals/").json()
    assert row["adopted_by"][0]["shows_progress"] is True
    assert row["adopted_by"][0]["status"] == "planned"
    assert AccessLog.objects.filter(learner=ben, viewer=ana, item_type="goal").exists()
    group_goal_progress_show(adoption=adoption, show=False)
    [row] = client.get(f"/api/v1/groups/{group.public_id}/goals/").json()
    assert row["adopted_by"][0]["shows_progress"] is False
    assert GoalAdoption.objects.count() == 1


# --- Peer feedback ---------------------------------------------------------------------------


def test_feedback_answers_reach_the_asker_alone(client, ana, ben, cy, group):
    evidence = EvidenceFactory(learner=ana, title="Discharge summary")
    request = feedback_request_create(
        group=group, asker=ana, evidence_public_id=evidence.public_id, question="Clear?"
    )
    assert request.topic == "Discharge summary"
    assert request.grant.evidence_id == evidence.pk
    feedback_answer_record(
        request=request, responder=ben, went_well="Concise", to_improve="Add meds", clarity=4
    )
    feedback_answer_record(
        request=request, responder=cy, went_well="Plan", to_improve="Follow-up", clarity=3
    )
    path = f"/api/v1/groups/{group.public_id}/feedback/{request.public_id}/"
    mine = api(client, ana).get(path).json()
    assert sorted(a["went_well"] for a in mine["answers"]) == ["Concise", "Plan"]
    bens_view = api(client, ben).get(path).json()
    assert [a["went_well"] for a in bens_view["answers"]] == ["Concise"]
    page = client.get(reverse("group-feedback-detail", args=[group.public_id, request.public_id]))
    assert "Plan" not in page.content.decode()
    assert (
        Notification.objects.filter(
            recipient=ana, kind=Kind.GROUP, title__contains="answered"
        ).count()
        == 2
    )


def test_answering_twice_is_one_answer_and_one_cannot_answer_oneself(ana, ben, group):
    request = feedback_request_create(group=group, asker=ana, topic="Talk")
    first = feedback_answer_record(
        request=request, responder=ben, went_well="a", to_improve="b", clarity=2
    )
    again = feedback_answer_record(
        request=request, responder=ben, went_well="c", to_improve="d", clarity=5
    )
    assert first.pk == again.pk
    with pytest.raises(ValidationError, match="your own request"):
        feedback_answer_record(
            request=request, responder=ana, went_well="a", to_improve="b", clarity=1
        )
    assert FeedbackAnswer.objects.count() == 1


def test_a_request_about_a_withdrawn_share_takes_no_more_answers(ana, ben, cy, group):
    evidence = EvidenceFactory(learner=ana)
    request = feedback_request_create(group=group, asker=ana, evidence_public_id=evidence.public_id)
    group_leave(group=group, user=ana)
    with pytest.raises(ValidationError, match="closed"):
        feedback_answer_record(
            request=request, responder=ben, went_well="a", to_improve="b", clarity=1
        )


@pytest.mark.parametrize(
    "body",
    [{}, {"topic": ""}, {"evidence": "not-a-uuid"}, {"topic": "x" * 201}],
)
def test_bad_feedback_requests_are_400_and_write_nothing(client, ana, group, body):
    response = api(client, ana).post(
        f"/api/v1/groups/{group.public_id}/feedback/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not FeedbackRequest.objects.exists()


# --- Notifications ---------------------------------------------------------------------------


def test_group_notifications_follow_each_persons_preference(ana, ben, cy, group):
    notification_preference_set(user=ben, kind=Kind.GROUP, frequency="daily")
    notification_preference_set(user=cy, kind=Kind.GROUP, frequency="off")
    post = post_create(group=group, author=ana, body="Case conference on Friday")
    statuses = {
        n.recipient_id: n.email_status
        for n in Notification.objects.filter(dedupe_key=f"group-post:{post.pk}")
    }
    assert statuses == {ben.pk: "digest", cy.pk: "skipped"}


# --- Pages -----------------------------------------------------------------------------------


def test_the_pages_walk_through_a_group(client, ana, ben):
    client.force_login(ana)
    response = client.post(reverse("group-list"), {"name": "Night float", "purpose": ""})
    group = LearningGroup.objects.get(name="Night float")
    assert response.url == reverse("group-detail", args=[group.public_id])
    client.post(
        reverse("group-invite", args=[group.public_id]), {"email": ben.email, "role": "member"}
    )
    client.force_login(ben)
    assert "Night float" in client.get(reverse("group-list")).content.decode()
    client.post(reverse("group-accept", args=[group.public_id]))
    client.post(reverse("group-post", args=[group.public_id]), {"body": "*hello*"})
    page = client.get(reverse("group-detail", args=[group.public_id])).content.decode()
    assert "<em>hello</em>" in page
    assert "Ana" in page and "Ben" in page


# --- Query counts ----------------------------------------------------------------------------


def _fill(group, people, size):
    for i in range(size):
        author = people[i % len(people)]
        post_create(group=group, author=author, body=f"Post {i}")
        evidence = EvidenceFactory(learner=author)
        group_item_share(group=group, learner=author, evidence_public_id=evidence.public_id)
        feedback_request_create(group=group, asker=author, topic=f"Talk {i}")
        goal = group_goal_create(group=group, creator=author, title=f"Goal {i}", measure="m")
        group_goal_adopt(group_goal=goal, learner=author, target_date=FUTURE, show_progress=True)


@pytest.mark.parametrize("size", [2, 12])
def test_the_group_page_runs_a_fixed_number_of_queries(
    client, ana, ben, cy, group, size, django_assert_num_queries
):
    _fill(group, [ana, ben, cy], size)
    client.force_login(ana)
    # 1 session, 2 user, 3 the group (member check), 4 member check, 5 posts, 6 circle check,
    # 7 shared evidence, 8 circle check, 9 shared goals, 10 their progress notes,
    # 11 the access log rows (one insert), 12 own evidence for the forms, 13 own membership,
    # 14 member check, 15 members, 16 own adoptions, 17 member check, 18 goals,
    # 19 their adoptions, 20 member check, 21 feedback requests, 22 the person's roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(23):
        assert client.get(reverse("group-detail", args=[group.public_id])).status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_the_group_list_runs_a_fixed_number_of_queries(
    client, ana, size, django_assert_num_queries
):
    for i in range(size):
        group_with(ana, name=f"Group {i}")
        someone = base.UserFactory()
        invite(group_with(someone, name=f"Theirs {i}"), someone, ana)
    client.force_login(ana)
    # 1 session, 2 user, 3 groups with head counts, 4 invitations, 5 the person's roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        assert client.get(reverse("group-list")).status_code == 200
    # 1 session, 2 user, 3 the page of groups
    with django_assert_num_queries(3):
        assert client.get("/api/v1/groups/").status_code == 200
    # 1 session, 2 user, 3 the page of invitations
    with django_assert_num_queries(3):
        assert client.get("/api/v1/groups/invitations/").status_code == 200


@pytest.mark.parametrize("size", [2, 12])
def test_the_group_api_lists_run_a_fixed_number_of_queries(
    client, ana, ben, cy, group, size, django_assert_num_queries
):
    _fill(group, [ana, ben, cy], size)
    client.force_login(ana)
    base_path = f"/api/v1/groups/{group.public_id}"
    # 1 session, 2 user, 3 the group, 4 member check, 5 the page of posts with authors
    with django_assert_num_queries(5):
        assert len(client.get(f"{base_path}/posts/").json()["results"]) == size
    # 1 session, 2 user, 3 the group, 4 circle check, 5 the page of shares, 6 access log insert
    with django_assert_num_queries(6):
        assert len(client.get(f"{base_path}/shares/").json()["results"]) == size
    # 1 session, 2 user, 3 the group, 4 member check, 5 the page of requests with counts
    with django_assert_num_queries(5):
        assert len(client.get(f"{base_path}/feedback/").json()["results"]) == size
    # 1 session, 2 user, 3 the group, 4 circle check, 5 shared goals, 6 their notes,
    # 7 access log insert, 8 member check, 9 goals, 10 their adoptions
    with django_assert_num_queries(10):
        assert len(client.get(f"{base_path}/goals/").json()) == size
    # 1 session, 2 user, 3 the group, 4 member check, 5 members
    with django_assert_num_queries(5):
        assert client.get(f"{base_path}/").status_code == 200

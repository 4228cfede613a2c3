"""Authorization-matrix rows for learning groups: a group's pages and endpoints answer its
members (here the learner who started it); everyone else gets 404, never a hint. Starting a
group and one's own lists are open to every signed-in person."""

from __future__ import annotations

import datetime as dt

from groups.services import (
    feedback_request_create,
    group_create,
    group_goal_adopt,
    group_goal_create,
    group_invite,
    group_item_share,
)
from portfolio.tests.factories import EvidenceFactory
from tests.authz import Row, same, signed_in

FUTURE = "2100-01-01"
MEMBER_PAGE = same(404, anonymous=302, learner=200)
MEMBER_POST = same(404, anonymous=302, learner=302)
MEMBER_API = same(404, anonymous=401, learner=200)


def _group(w):
    return group_create(creator=w.learner, name="Authz group")


def _gid(w):
    return _group(w).public_id


def _invited(w):
    """A group another learner started, with the learner invited to it."""
    group = group_create(creator=w.other_learner, name="Their group")
    group_invite(group=group, inviter=w.other_learner, email=w.learner.email)
    return group.public_id


def _shared(w):
    group = _group(w)
    evidence = EvidenceFactory(learner=w.learner)
    grant = group_item_share(group=group, learner=w.learner, evidence_public_id=evidence.public_id)
    return group.public_id, grant.pk


def _goal(w, adopt=False):
    group = _group(w)
    goal = group_goal_create(group=group, creator=w.learner, title="Present", measure="Monthly")
    if adopt:
        group_goal_adopt(group_goal=goal, learner=w.learner, target_date=dt.date(2100, 1, 1))
    return group.public_id, goal.public_id


def _feedback(w):
    group = _group(w)
    request = feedback_request_create(group=group, asker=w.learner, topic="Talk")
    return group.public_id, request.public_id


def _path(template):
    return lambda w: template.format(gid=_gid(w))


ROWS = [
    # Pages
    Row("group-list", lambda w: "/groups/", signed_in(200)),
    Row(
        "group-list",
        lambda w: "/groups/",
        signed_in(302),
        method="POST",
        data=lambda w: {"name": "Journal club"},
        note="anyone signed in starts a group",
    ),
    Row("group-detail", _path("/groups/{gid}/"), MEMBER_PAGE),
    Row(
        "group-accept",
        lambda w: f"/groups/{_invited(w)}/accept/",
        same(404, anonymous=302, learner=302),
        method="POST",
        note="only the invited person",
    ),
    Row(
        "group-decline",
        lambda w: f"/groups/{_invited(w)}/decline/",
        same(404, anonymous=302, learner=302),
        method="POST",
    ),
    Row(
        "group-invite",
        _path("/groups/{gid}/invite/"),
        MEMBER_POST,
        method="POST",
        data=lambda w: {"email": w.coach.email, "role": "guest"},
    ),
    Row("group-leave", _path("/groups/{gid}/leave/"), MEMBER_POST, method="POST"),
    Row(
        "group-post",
        _path("/groups/{gid}/posts/"),
        MEMBER_POST,
        method="POST",
        data=lambda w: {"body": "Hello"},
    ),
    Row("group-share", _path("/groups/{gid}/share/"), MEMBER_POST, method="POST"),
    Row(
        "group-shared-item",
        lambda w: "/groups/{}/shared/{}/".format(*_shared(w)),
        MEMBER_PAGE,
    ),
    Row(
        "group-goal-create",
        _path("/groups/{gid}/goals/"),
        MEMBER_POST,
        method="POST",
        data=lambda w: {"title": "Present", "measure": "Monthly"},
    ),
    Row(
        "group-goal-adopt",
        lambda w: "/groups/{}/goals/{}/adopt/".format(*_goal(w)),
        MEMBER_POST,
        method="POST",
        data=lambda w: {"target_date": FUTURE},
    ),
    Row(
        "group-goal-progress",
        lambda w: "/groups/{}/goals/{}/progress/".format(*_goal(w, adopt=True)),
        MEMBER_POST,
        method="POST",
        data=lambda w: {"show": "1"},
    ),
    Row(
        "group-feedback-create",
        _path("/groups/{gid}/feedback/"),
        MEMBER_POST,
        method="POST",
        data=lambda w: {"topic": "My talk"},
    ),
    Row(
        "group-feedback-detail",
        lambda w: "/groups/{}/feedback/{}/".format(*_feedback(w)),
        MEMBER_PAGE,
    ),
    # API
    Row("api-group-list", lambda w: "/api/v1/groups/", same(200, anonymous=401)),
    Row(
        "api-group-list",
        lambda w: "/api/v1/groups/",
        same(201, anonymous=401),
        method="POST",
        data=lambda w: {"name": "Journal club"},
        content_type="application/json",
    ),
    Row("api-group-invitations", lambda w: "/api/v1/groups/invitations/", same(200, anonymous=401)),
    Row("api-group-detail", _path("/api/v1/groups/{gid}/"), MEMBER_API),
    Row(
        "api-group-accept",
        lambda w: f"/api/v1/groups/{_invited(w)}/accept/",
        MEMBER_API,
        method="POST",
    ),
    Row(
        "api-group-decline",
        lambda w: f"/api/v1/groups/{_invited(w)}/decline/",
        MEMBER_API,
        method="POST",
    ),
    Row(
        "api-group-invite",
        _path("/api/v1/groups/{gid}/invitations/"),
        same(404, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"email": w.coach.email, "role": "guest"},
        content_type="application/json",
    ),
    Row(
        "api-group-leave",
        _path("/api/v1/groups/{gid}/leave/"),
        MEMBER_API,
        method="POST",
    ),
    Row("api-group-posts", _path("/api/v1/groups/{gid}/posts/"), MEMBER_API),
    Row(
        "api-group-posts",
        _path("/api/v1/groups/{gid}/posts/"),
        same(404, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"body": "Hello"},
        content_type="application/json",
    ),
    Row("api-group-shares", _path("/api/v1/groups/{gid}/shares/"), MEMBER_API),
    Row(
        "api-group-shares",
        _path("/api/v1/groups/{gid}/shares/"),
        same(404, anonymous=401, learner=400),
        method="POST",
        data=lambda w: {"evidence": str(EvidenceFactory(learner=w.other_learner).public_id)},
        content_type="application/json",
        note="the learner may not share another's evidence: 400, nothing written",
    ),
    Row(
        "api-group-share",
        lambda w: "/api/v1/groups/{}/shares/{}/".format(*_shared(w)),
        MEMBER_API,
    ),
    Row("api-group-goals", _path("/api/v1/groups/{gid}/goals/"), MEMBER_API),
    Row(
        "api-group-goal-adopt",
        lambda w: "/api/v1/groups/{}/goals/{}/adopt/".format(*_goal(w)),
        MEMBER_API,
        method="POST",
        data=lambda w: {"target_date": FUTURE},
        content_type="application/json",
    ),
    Row(
        "api-group-goal-progress",
        lambda w: "/api/v1/groups/{}/goals/{}/progress/".format(*_goal(w, adopt=True)),
        MEMBER_API,
        method="POST",
        data=lambda w: {"show": True},
        content_type="application/json",
    ),
    Row("api-group-feedback-list", _path("/api/v1/groups/{gid}/feedback/"), MEMBER_API),
    Row(
        "api-group-feedback-detail",
        lambda w: "/api/v1/groups/{}/feedback/{}/".format(*_feedback(w)),
        MEMBER_API,
    ),
    Row(
        "api-group-feedback-answer",
        lambda w: "/api/v1/groups/{}/feedback/{}/answers/".format(*_feedback(w)),
        same(404, anonymous=401, learner=400),
        method="POST",
        data=lambda w: {"went_well": "a", "to_improve": "b", "clarity": 3},
        content_type="application/json",
        note="the asker cannot answer their own request (400); nobody else sees it",
    ),
]

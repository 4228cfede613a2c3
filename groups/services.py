"""Writes to learning groups. Each checks the rules it enforces and leaves nothing
half-written: it completes or raises a ValidationError naming what is wrong."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.forms import text_within
from core.markdown import markdown_to_text, render_markdown
from groups.models import (
    MAX_PEOPLE,
    TOPIC_MAX,
    FeedbackAnswer,
    FeedbackRequest,
    GoalAdoption,
    GroupGoal,
    LearningGroup,
    Membership,
    Post,
)
from notifications.models import Kind
from notifications.services import notification_send
from portfolio.models import Evidence, ShareGrant
from portfolio.services import (
    circle_item_share,
    goal_create,
    share_circle_create,
    share_circle_join,
    share_circle_leave,
    share_grant_revoke,
)

NOT_A_MEMBER = "You are not a member of this group (any more): rejoin it to do that."


def _locked(group: LearningGroup) -> LearningGroup:
    """The group row locked, so head counts and memberships change one at a time."""
    return LearningGroup.objects.select_for_update().get(pk=group.pk)


def _active_membership(group: LearningGroup, user: User) -> Membership:
    membership = Membership.objects.active().filter(group=group, user=user).first()
    if membership is None:
        raise ValidationError(NOT_A_MEMBER)
    return membership


def _others(group: LearningGroup, user: User) -> list[User]:
    return [
        m.user
        for m in Membership.objects.active()
        .filter(group=group)
        .exclude(user=user)
        .select_related("user")
    ]


def _url(group: LearningGroup) -> str:
    return reverse("group-detail", args=[group.public_id])


@transaction.atomic
def group_create(*, creator: User, name: str, purpose: str = "") -> LearningGroup:
    """Start a group; its creator is its first member."""
    if not name.strip():
        raise ValidationError({"name": ["Give the group a name."]})
    circle = share_circle_create(label=f"Learning group: {name}")
    group = LearningGroup(name=name.strip(), purpose=purpose, circle=circle, created_by=creator)
    group.full_clean()
    group.save()
    Membership.objects.create(
        group=group,
        user=creator,
        status=Membership.Status.ACTIVE,
        responded_at=timezone.now(),
    )
    share_circle_join(circle=circle, user=creator)
    return group


@transaction.atomic
def group_invite(
    *, group: LearningGroup, inviter: User, email: str, role: str = Membership.Role.MEMBER
) -> Membership:
    """Invite someone with an account (by e-mail) as a member, or a coach as a guest.

    Only members invite. A group holds at most MAX_PEOPLE people, open invitations included:
    one more is refused. Inviting someone already invited returns their invitation."""
    group = _locked(group)
    inviter_membership = _active_membership(group, inviter)
    if inviter_membership.role != Membership.Role.MEMBER:
        raise ValidationError("Guests cannot invite people.")
    if role not in Membership.Role.values:
        raise ValidationError({"role": ["Choose member or guest."]})
    invitee = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if invitee is None:
        raise ValidationError({"email": ["Nobody with that e-mail address uses Continuum yet."]})
    existing = Membership.objects.filter(group=group, user=invitee).first()
    if existing is not None and existing.status == Membership.Status.ACTIVE:
        raise ValidationError({"email": [f"{invitee.name} is already in the group."]})
    if existing is not None and existing.status == Membership.Status.INVITED:
        return existing
    if Membership.objects.counted().filter(group=group).count() >= MAX_PEOPLE:
        raise ValidationError(
            {
                "email": [
                    f"This group is full: a group has at most {MAX_PEOPLE} people, "
                    "open invitations included."
                ]
            }
        )
    membership = existing or Membership(group=group, user=invitee)
    membership.role = role
    membership.status = Membership.Status.INVITED
    membership.invited_by = inviter
    membership.responded_at = None
    membership.left_at = None
    membership.save()
    if existing is not None:
        Membership.objects.filter(pk=membership.pk).update(invited_at=timezone.now())
    notification_send(
        recipient=invitee,
        kind=Kind.GROUP,
        title=f"{inviter.name} invited you to the learning group {group.name}",
        url=reverse("group-list"),
        dedupe_key=f"group-invite:{membership.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
    )
    return membership


@transaction.atomic
def group_invitation_accept(*, membership: Membership) -> Membership:
    """Join the group. Idempotent for someone already in it."""
    _locked(membership.group)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == Membership.Status.ACTIVE:
        return membership
    if membership.status != Membership.Status.INVITED:
        raise ValidationError("This invitation is no longer open.")
    if Membership.objects.active().filter(group_id=membership.group_id).count() >= MAX_PEOPLE:
        raise ValidationError(f"This group is full: a group has at most {MAX_PEOPLE} people.")
    membership.status = Membership.Status.ACTIVE
    membership.responded_at = timezone.now()
    membership.save(update_fields=["status", "responded_at"])
    share_circle_join(circle=membership.group.circle, user=membership.user)
    return membership


@transaction.atomic
def group_invitation_decline(*, membership: Membership) -> Membership:
    """Say no to an invitation. Idempotent."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == Membership.Status.DECLINED:
        return membership
    if membership.status != Membership.Status.INVITED:
        raise ValidationError("This invitation is no longer open.")
    membership.status = Membership.Status.DECLINED
    membership.responded_at = timezone.now()
    membership.save(update_fields=["status", "responded_at"])
    return membership


@transaction.atomic
def group_leave(*, group: LearningGroup, user: User) -> int:
    """Leave a group: every item one shared to it is withdrawn at once, and one's open
    requests for feedback close. Returns how many shares were withdrawn."""
    group = _locked(group)
    membership = _active_membership(group, user)
    membership.status = Membership.Status.LEFT
    membership.left_at = timezone.now()
    membership.save(update_fields=["status", "left_at"])
    FeedbackRequest.objects.filter(group=group, asker=user, closed_at__isnull=True).update(
        closed_at=timezone.now()
    )
    return share_circle_leave(circle=group.circle, user=user)


@transaction.atomic
def post_create(
    *, group: LearningGroup, author: User, body: str, client_token: uuid.UUID | None = None
) -> Post:
    """Post to the group's feed (Markdown, sanitised). Only members post; a retry with the
    same token returns the first post."""
    _active_membership(group, author)
    if client_token is not None:
        existing = Post.objects.filter(author=author, client_token=client_token).first()
        if existing is not None:
            return existing
    if not body.strip():
        raise ValidationError({"body": ["Write something to post."]})
    post = Post(
        group=group,
        author=author,
        body=body,
        body_html=render_markdown(body),
        client_token=client_token,
    )
    post.full_clean()
    post.save()
    for other in _others(group, author):
        notification_send(
            recipient=other,
            kind=Kind.GROUP,
            title=f"{author.name} posted in {group.name}",
            body=markdown_to_text(body)[:300],
            url=_url(group),
            dedupe_key=f"group-post:{post.pk}",
        )
    return post


def _evidence_pk(evidence_public_id: uuid.UUID | str) -> int:
    """The evidence's key; one that does not exist is refused like one of someone else's."""
    try:
        pk = Evidence.objects.filter(public_id=evidence_public_id).values_list("pk", flat=True)
        found = pk.first()
    except ValidationError:
        found = None
    if found is None:
        raise ValidationError({"evidence": ["Share only evidence from your own portfolio."]})
    return found


@transaction.atomic
def group_item_share(
    *, group: LearningGroup, learner: User, evidence_public_id: uuid.UUID | str
) -> ShareGrant:
    """Share a piece of one's own evidence or a reflection with the group. Nothing else of a
    portfolio leaves it. Sharing it again returns the share in force."""
    _active_membership(group, learner)
    grant = circle_item_share(
        learner=learner, circle=group.circle, evidence_id=_evidence_pk(evidence_public_id)
    )
    for other in _others(group, learner):
        notification_send(
            recipient=other,
            kind=Kind.GROUP,
            title=f"{learner.name} shared an item in {group.name}",
            url=_url(group),
            dedupe_key=f"group-share:{grant.pk}",
        )
    return grant


@transaction.atomic
def group_goal_create(
    *, group: LearningGroup, creator: User, title: str, measure: str
) -> GroupGoal:
    """Add a goal for the group to work on together."""
    _active_membership(group, creator)
    goal = GroupGoal(group=group, title=title, measure=measure, created_by=creator)
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def group_goal_adopt(
    *, group_goal: GroupGoal, learner: User, target_date: dt.date, show_progress: bool = False
) -> GoalAdoption:
    """Take a group goal into one's own plan (a goal of one's own portfolio). The group sees
    its progress only if the learner chooses to show it. Adopting again returns the first."""
    _active_membership(group_goal.group, learner)
    existing = GoalAdoption.objects.filter(group_goal=group_goal, learner=learner).first()
    if existing is not None:
        return existing
    if target_date < timezone.localdate():
        raise ValidationError({"target_date": ["Choose a target date from today on."]})
    goal = goal_create(
        learner=learner,
        title=group_goal.title,
        measure=group_goal.measure,
        target_date=target_date,
        plan=f"A goal of the learning group {group_goal.group.name}.",
    )
    adoption = GoalAdoption.objects.create(group_goal=group_goal, learner=learner, goal=goal)
    if show_progress:
        group_goal_progress_show(adoption=adoption, show=True)
    return adoption


@transaction.atomic
def group_goal_progress_show(*, adoption: GoalAdoption, show: bool) -> GoalAdoption:
    """Show (a share of that one goal to the group) or hide one's progress on an adopted goal."""
    group = adoption.group_goal.group
    _active_membership(group, adoption.learner)
    if show:
        adoption.grant = circle_item_share(
            learner=adoption.learner, circle=group.circle, goal_id=adoption.goal_id
        )
    elif adoption.grant is not None:
        share_grant_revoke(grant=adoption.grant)
        adoption.grant = None
    adoption.save(update_fields=["grant"])
    return adoption


@transaction.atomic
def feedback_request_create(
    *,
    group: LearningGroup,
    asker: User,
    topic: str = "",
    question: str = "",
    evidence_public_id: uuid.UUID | str | None = None,
) -> FeedbackRequest:
    """Ask the group for feedback on a piece of one's evidence (shared to the group by this
    request) or on a presentation named in `topic`."""
    _active_membership(group, asker)
    grant = None
    if evidence_public_id:
        grant = group_item_share(group=group, learner=asker, evidence_public_id=evidence_public_id)
        evidence = grant.evidence
        assert evidence is not None
        topic = topic.strip() or evidence.title
    if not topic.strip():
        raise ValidationError({"topic": ["Name the presentation, or choose a piece of evidence."]})
    request = FeedbackRequest(
        group=group,
        asker=asker,
        grant=grant,
        topic=text_within(topic, limit=TOPIC_MAX, field="topic"),
        question=question,
    )
    request.full_clean()
    request.save()
    for other in _others(group, asker):
        notification_send(
            recipient=other,
            kind=Kind.GROUP,
            title=f"{asker.name} asks {group.name} for feedback: {request.topic}",
            url=reverse("group-feedback-detail", args=[group.public_id, request.public_id]),
            dedupe_key=f"group-feedback:{request.pk}",
        )
    return request


@transaction.atomic
def feedback_answer_record(
    *,
    request: FeedbackRequest,
    responder: User,
    went_well: str,
    to_improve: str,
    clarity: int,
) -> FeedbackAnswer:
    """Answer a request on the short form; the answer goes to the asker alone. One answer per
    person: answering again returns the first."""
    request = FeedbackRequest.objects.select_for_update().get(pk=request.pk)
    _active_membership(request.group, responder)
    if request.asker_id == responder.pk:
        raise ValidationError("You cannot answer your own request.")
    existing = FeedbackAnswer.objects.filter(request=request, responder=responder).first()
    if existing is not None:
        return existing
    if not request.is_open or (request.grant is not None and not request.grant.is_active()):
        raise ValidationError("This request is closed.")
    answer = FeedbackAnswer(
        request=request,
        responder=responder,
        went_well=went_well,
        to_improve=to_improve,
        clarity=clarity,
    )
    answer.full_clean()
    answer.save()
    notification_send(
        recipient=request.asker,
        kind=Kind.GROUP,
        title=f"{responder.name} answered your request for feedback: {request.topic}",
        url=reverse("group-feedback-detail", args=[request.group.public_id, request.public_id]),
        dedupe_key=f"group-feedback-answer:{answer.pk}",
    )
    return answer


@transaction.atomic
def feedback_request_close(*, request: FeedbackRequest) -> FeedbackRequest:
    """The asker closes a request: no more answers. Idempotent."""
    if request.closed_at is None:
        request.closed_at = timezone.now()
        request.save(update_fields=["closed_at"])
    return request


@transaction.atomic
def groups_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): leave every group (withdrawing one's shares), and delete
    one's places, posts, requests, answers and adoptions. Groups one started stay with their
    members; goals one proposed stay with the group."""
    for membership in Membership.objects.active().filter(user=user).select_related("group"):
        group_leave(group=membership.group, user=user)
    FeedbackAnswer.objects.filter(responder=user).delete()
    FeedbackRequest.objects.filter(asker=user).delete()
    Post.objects.filter(author=user).delete()
    GoalAdoption.objects.filter(learner=user).delete()
    Membership.objects.filter(user=user).delete()

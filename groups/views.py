"""Learning group pages: the list (start a group, answer invitations), a group's page (members,
goals, feed, shared items, feedback requests) and a feedback request."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from core.forms import apply_errors
from core.once import submit_once
from groups import selectors, services
from groups.forms import (
    AdoptForm,
    AnswerForm,
    FeedbackRequestForm,
    GroupForm,
    GroupGoalForm,
    InviteForm,
    PostForm,
    ShareForm,
)
from groups.models import LearningGroup, Membership
from portfolio.models import AccessLog, Evidence, ShareGrant
from portfolio.selectors import access_for, evidence_visible_to, own_evidence_choices
from portfolio.services import access_log_record, access_log_record_shared

FEED_SIZE = 50
OWN_EVIDENCE_CHOICES = 200


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _own_evidence(user: User) -> QuerySet[Evidence]:
    """The person's latest evidence and reflections, to choose one to share."""
    return own_evidence_choices(learner=user).only(
        "id", "public_id", "title", "kind", "occurred_on"
    )[:OWN_EVIDENCE_CHOICES]


def _member_group(request: HttpRequest, public_id: uuid.UUID) -> LearningGroup:
    return get_object_or_404(
        selectors.groups_of(viewer=_user(request)).select_related("circle"), public_id=public_id
    )


def _known_group(request: HttpRequest, public_id: uuid.UUID) -> LearningGroup:
    """A group the person has a place in, past or present: a late action gets a clear refusal."""
    return get_object_or_404(
        selectors.groups_known_to(viewer=_user(request)).select_related("circle"),
        public_id=public_id,
    )


@login_required
@submit_once("group")
def group_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                creator=user, name=form.cleaned_data["name"], purpose=form.cleaned_data["purpose"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Group started. Invite the others next.")
            return redirect("group-detail", public_id=group.public_id)
    context = {
        "groups": list(selectors.groups_of(viewer=user)),
        "invitations": list(selectors.invitations_for(viewer=user)),
        "form": form,
    }
    return render(
        request, "groups/list.html", context, status=400 if request.method == "POST" else 200
    )


def _detail_context(request: HttpRequest, group: LearningGroup) -> dict[str, Any]:
    user = _user(request)
    posts = list(selectors.posts_visible_to(viewer=user, group=group)[:FEED_SIZE])
    shares = list(selectors.shared_items_visible_to(viewer=user, group=group)[:FEED_SIZE])
    goal_grants = list(selectors.shared_goal_grants(viewer=user, group=group))
    access_log_record_shared(viewer=user, grants=[*shares, *goal_grants])
    feed = sorted(
        [("post", p.created_at, p) for p in posts] + [("share", g.created_at, g) for g in shares],
        key=lambda entry: entry[1],
        reverse=True,
    )[:FEED_SIZE]
    own_evidence = _own_evidence(user)
    membership = selectors.membership_of(viewer=user, group=group)
    return {
        "group": group,
        "membership": membership,
        "members": list(selectors.members_of(viewer=user, group=group)),
        "goal_rows": _goal_rows(user, group, goal_grants),
        "feed": feed,
        "requests": list(selectors.feedback_requests_visible_to(viewer=user, group=group)[:20]),
        # One page, many forms: each its own element ids, so every label finds its field.
        "post_form": PostForm(initial={"client_token": uuid.uuid4()}, auto_id="post_%s"),
        "share_form": ShareForm(evidence=own_evidence, auto_id="share_%s"),
        "invite_form": InviteForm(auto_id="invite_%s"),
        "goal_form": GroupGoalForm(auto_id="goal_%s"),
        "feedback_form": FeedbackRequestForm(evidence=own_evidence, auto_id="feedback_%s"),
    }


def _goal_rows(
    user: User, group: LearningGroup, goal_grants: list[ShareGrant]
) -> list[dict[str, Any]]:
    """Each shared goal with who adopted it; an adopter's status and latest note only where
    they show their progress (a share of that goal, read through portfolio's rule)."""
    shown = {grant.goal_id: grant.goal for grant in goal_grants}
    mine = {a.group_goal_id: a for a in selectors.adoptions_of(learner=user, group=group)}
    rows = []
    for goal in selectors.group_goals_visible_to(viewer=user, group=group):
        adopters: list[dict[str, Any]] = []
        my_adoption = mine.get(goal.pk)
        for adoption in goal.adoptions.all():
            if adoption.learner_id == user.pk:
                # One's own goal as one sees it: shown or not, no notes repeated here.
                own_shown = bool(
                    my_adoption and my_adoption.grant and my_adoption.grant.is_active()
                )
                own_goal = my_adoption.goal if my_adoption and own_shown else None
                adopters.append({"name": "You", "goal": own_goal, "note": None})
                continue
            shown_goal = shown.get(adoption.goal_id)
            notes = list(shown_goal.progress_notes.all()) if shown_goal else []
            adopters.append(
                {
                    "name": adoption.learner.name,
                    "goal": shown_goal,
                    "note": notes[0] if notes else None,
                }
            )
        rows.append(
            {
                "goal": goal,
                "adopt_form": AdoptForm(auto_id=f"adopt_{goal.pk}_%s"),
                "adopters": adopters,
                "mine": my_adoption,
                "mine_shown": bool(
                    my_adoption and my_adoption.grant and my_adoption.grant.is_active()
                ),
            }
        )
    return rows


@login_required
def group_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    group = _member_group(request, public_id)
    return render(request, "groups/detail.html", _detail_context(request, group))


def _act(request: HttpRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    """Run one action of the group page; a refusal comes back as a message on the page."""
    user = _user(request)
    group = _known_group(request, public_id)
    data = request.POST
    try:
        if action == "invite":
            form = InviteForm(data)
            if not form.is_valid():
                raise ValidationError("Give a valid e-mail address and a role.")
            membership = services.group_invite(
                group=group,
                inviter=user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
            messages.success(request, f"Invited {membership.user.name}.")
        elif action == "post":
            post_form = PostForm(data)
            if not post_form.is_valid():
                raise ValidationError("Write something to post (at most 5,000 characters).")
            services.post_create(
                group=group,
                author=user,
                body=post_form.cleaned_data["body"],
                client_token=post_form.cleaned_data["client_token"],
            )
            messages.success(request, "Posted.")
        elif action == "share":
            services.group_item_share(
                group=group, learner=user, evidence_public_id=data.get("evidence", "")
            )
            messages.success(request, "Shared with the group.")
        elif action == "leave":
            withdrawn = services.group_leave(group=group, user=user)
            messages.success(
                request, f"You left {group.name}; {withdrawn} of your shares were withdrawn."
            )
            return redirect("group-list")
        elif action == "goal":
            goal_form = GroupGoalForm(data)
            if not goal_form.is_valid():
                raise ValidationError("Give the goal a title and a measure.")
            services.group_goal_create(group=group, creator=user, **goal_form.cleaned_data)
            messages.success(request, "Goal added.")
        elif action == "feedback":
            feedback_form = FeedbackRequestForm(data, evidence=own_evidence_choices(learner=user))
            if not feedback_form.is_valid():
                raise ValidationError("Choose a piece of your own evidence or name a presentation.")
            feedback = services.feedback_request_create(
                group=group,
                asker=user,
                topic=feedback_form.cleaned_data["topic"],
                question=feedback_form.cleaned_data["question"],
                evidence_public_id=feedback_form.cleaned_data["evidence"] or None,
            )
            messages.success(request, "Asked. The answers will come to you alone.")
            return redirect("group-feedback-detail", group.public_id, feedback.public_id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        if not selectors.groups_of(viewer=user).filter(pk=group.pk).exists():
            return redirect("group-list")
    return redirect("group-detail", public_id=group.public_id)


@login_required
@require_POST
@submit_once("invitation")
def group_invite(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "invite")


@login_required
@require_POST
@submit_once("post")
def group_post(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "post")


@login_required
@require_POST
@submit_once("share")
def group_share(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "share")


@login_required
@require_POST
def group_leave(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "leave")


@login_required
@require_POST
@submit_once("shared goal")
def group_goal_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "goal")


@login_required
@require_POST
@submit_once("feedback request")
def group_feedback_create(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "feedback")


def _invitation(request: HttpRequest, public_id: uuid.UUID) -> Membership:
    group = _known_group(request, public_id)
    invitation = selectors.invitation_for(viewer=_user(request), group=group)
    if invitation is None:
        raise Http404("No open invitation.")
    return invitation


@login_required
@require_POST
def group_accept(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    invitation = _invitation(request, public_id)
    try:
        services.group_invitation_accept(membership=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("group-list")
    messages.success(request, f"Welcome to {invitation.group.name}.")
    return redirect("group-detail", public_id=public_id)


@login_required
@require_POST
def group_decline(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    invitation = _invitation(request, public_id)
    services.group_invitation_decline(membership=invitation)
    messages.success(request, "Invitation declined.")
    return redirect("group-list")


@login_required
@require_POST
def group_goal_adopt(
    request: HttpRequest, public_id: uuid.UUID, goal_id: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    group = _member_group(request, public_id)
    group_goal = get_object_or_404(
        selectors.group_goals_visible_to(viewer=user, group=group), public_id=goal_id
    )
    form = AdoptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a target date.")
        return redirect("group-detail", public_id=public_id)
    try:
        services.group_goal_adopt(group_goal=group_goal, learner=user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Added to your learning plan.")
    return redirect("group-detail", public_id=public_id)


@login_required
@require_POST
def group_goal_progress(
    request: HttpRequest, public_id: uuid.UUID, goal_id: uuid.UUID
) -> HttpResponse:
    user = _user(request)
    group = _member_group(request, public_id)
    adoption = get_object_or_404(
        selectors.adoptions_of(learner=user, group=group), group_goal__public_id=goal_id
    )
    show = request.POST.get("show") == "1"
    services.group_goal_progress_show(adoption=adoption, show=show)
    messages.success(
        request, "The group now sees your progress." if show else "Your progress is hidden."
    )
    return redirect("group-detail", public_id=public_id)


@login_required
def group_shared_item(request: HttpRequest, public_id: uuid.UUID, grant_id: int) -> HttpResponse:
    """One item a member shared: read through portfolio's rule, logged for its owner."""
    user = _user(request)
    group = _member_group(request, public_id)
    grant = get_object_or_404(
        selectors.shared_items_visible_to(viewer=user, group=group), pk=grant_id
    )
    access = access_for(viewer=user, learner=grant.learner)
    evidence = get_object_or_404(
        evidence_visible_to(viewer=user, learner=grant.learner, access=access),
        pk=grant.evidence_id,
    )
    access_log_record(access=access, items=[evidence], action=AccessLog.Action.VIEW)
    return render(
        request,
        "groups/shared_item.html",
        {"group": group, "grant": grant, "evidence": evidence},
    )


@login_required
def group_feedback_detail(
    request: HttpRequest, public_id: uuid.UUID, request_id: uuid.UUID
) -> HttpResponse:
    """A request for feedback: its answers for the asker, the short form for the others."""
    user = _user(request)
    group = _member_group(request, public_id)
    feedback = get_object_or_404(
        selectors.feedback_requests_visible_to(viewer=user, group=group), public_id=request_id
    )
    answers = list(selectors.answers_visible_to(viewer=user, request=feedback))
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.feedback_answer_record(request=feedback, responder=user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request, f"Thank you: your answer went to {feedback.asker.name} alone."
            )
            return redirect("group-feedback-detail", group.public_id, feedback.public_id)
    shared_open = feedback.grant is not None and feedback.grant.is_active()
    context = {
        "group": group,
        "feedback": feedback,
        "answers": answers,
        "form": form,
        "is_asker": feedback.asker_id == user.pk,
        "answered": any(a.responder_id == user.pk for a in answers),
        "shared_open": shared_open,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "groups/feedback.html", context, status=status)

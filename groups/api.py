"""Learning groups in `/api/v1/`: every action of the pages, typed. The same selectors decide
what a caller reads (404 for a group they are not in) and the same services write; items
shared to a group are read through portfolio's rule and logged for their owners."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import cursor
from groups import selectors, services
from groups.models import (
    MAX_PEOPLE,
    FeedbackAnswer,
    FeedbackRequest,
    GroupGoal,
    LearningGroup,
    Membership,
    Post,
)
from portfolio.models import AccessLog, ShareGrant
from portfolio.selectors import access_for, evidence_visible_to
from portfolio.services import access_log_record, access_log_record_shared


def _user(request: Request) -> User:
    return cast(User, request.user)


def _member_group(request: Request, public_id: uuid.UUID) -> LearningGroup:
    return get_object_or_404(
        selectors.groups_of(viewer=_user(request)).select_related("circle"), public_id=public_id
    )


def _known_group(request: Request, public_id: uuid.UUID) -> LearningGroup:
    return get_object_or_404(
        selectors.groups_known_to(viewer=_user(request)).select_related("circle"),
        public_id=public_id,
    )


class GroupPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.name}


class GroupSerializer(serializers.ModelSerializer[LearningGroup]):
    people = serializers.IntegerField(help_text=f"Members and guests (at most {MAX_PEOPLE}).")

    class Meta:
        model = LearningGroup
        fields = ["public_id", "name", "purpose", "people", "created_at"]


class GroupCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    purpose = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class GroupMembershipSerializer(serializers.ModelSerializer[Membership]):
    person = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["person", "role", "status", "invited_at", "responded_at"]

    @extend_schema_field(GroupPersonSerializer)
    def get_person(self, obj: Membership) -> dict[str, Any]:
        return _person(obj.user)


class GroupInvitationSerializer(serializers.ModelSerializer[Membership]):
    group = serializers.SerializerMethodField()
    invited_by = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["group", "role", "invited_by", "invited_at"]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "public_id": {"type": "string", "format": "uuid"},
                "name": {"type": "string"},
            },
            "required": ["public_id", "name"],
        }
    )
    def get_group(self, obj: Membership) -> dict[str, Any]:
        return {"public_id": str(obj.group.public_id), "name": obj.group.name}

    def get_invited_by(self, obj: Membership) -> str | None:
        return obj.invited_by.name if obj.invited_by else None


class GroupDetailSerializer(serializers.Serializer[Any]):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    purpose = serializers.CharField()
    members = GroupMembershipSerializer(
        many=True, help_text="Members, guests and open invitations."
    )


class GroupInviteSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class GroupPostSerializer(serializers.ModelSerializer[Post]):
    author = serializers.SerializerMethodField()
    body_html = serializers.CharField(help_text="The body rendered and sanitised (nh3).")

    class Meta:
        model = Post
        fields = ["public_id", "author", "body", "body_html", "created_at"]

    @extend_schema_field(GroupPersonSerializer)
    def get_author(self, obj: Post) -> dict[str, Any]:
        return _person(obj.author)


class GroupPostCreateSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=5000)
    client_token = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Retries with it never duplicate."
    )


class GroupSharedItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    owner = GroupPersonSerializer()
    evidence = serializers.UUIDField()
    title = serializers.CharField()
    kind = serializers.CharField()
    shared_at = serializers.DateTimeField()


def _shared_item(grant: ShareGrant) -> dict[str, Any]:
    evidence = grant.evidence
    assert evidence is not None
    return {
        "id": grant.pk,
        "owner": _person(grant.learner),
        "evidence": evidence.public_id,
        "title": evidence.title,
        "kind": evidence.kind,
        "shared_at": grant.created_at,
    }


class GroupSharedItemDetailSerializer(GroupSharedItemSerializer):
    body = serializers.CharField()
    occurred_on = serializers.DateField()


class GroupShareCreateSerializer(serializers.Serializer[Any]):
    evidence = serializers.UUIDField(help_text="A piece of your own evidence or a reflection.")


class GroupGoalAdoptionSerializer(serializers.Serializer[Any]):
    person = GroupPersonSerializer()
    shows_progress = serializers.BooleanField()
    status = serializers.CharField(allow_null=True, help_text="Only when they show progress.")
    latest_note = serializers.CharField(allow_null=True, help_text="Only when they show progress.")


class GroupGoalSerializer(serializers.Serializer[Any]):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    measure = serializers.CharField()
    adopted_by = GroupGoalAdoptionSerializer(many=True)


class GroupGoalCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    measure = serializers.CharField(max_length=2000)


class GroupGoalAdoptSerializer(serializers.Serializer[Any]):
    target_date = serializers.DateField()
    show_progress = serializers.BooleanField(default=False)


class GroupGoalAdoptedSerializer(serializers.Serializer[Any]):
    goal = serializers.UUIDField(help_text="The goal in your own plan.")
    shows_progress = serializers.BooleanField()


class GroupGoalProgressSerializer(serializers.Serializer[Any]):
    show = serializers.BooleanField()


class GroupFeedbackRequestSerializer(serializers.ModelSerializer[FeedbackRequest]):
    asker = serializers.SerializerMethodField()
    shared_item = serializers.SerializerMethodField()
    answer_count = serializers.IntegerField()
    is_open = serializers.BooleanField()

    class Meta:
        model = FeedbackRequest
        fields = [
            "public_id",
            "asker",
            "topic",
            "question",
            "shared_item",
            "answer_count",
            "is_open",
            "created_at",
        ]

    @extend_schema_field(GroupPersonSerializer)
    def get_asker(self, obj: FeedbackRequest) -> dict[str, Any]:
        return _person(obj.asker)

    def get_shared_item(self, obj: FeedbackRequest) -> int | None:
        """The shared item the request is about, while it is shared."""
        grant = obj.grant
        return grant.pk if grant is not None and grant.is_active() else None


class GroupFeedbackCreateSerializer(serializers.Serializer[Any]):
    evidence = serializers.UUIDField(required=False, allow_null=True, default=None)
    topic = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    question = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)


class FeedbackAnswerSerializer(serializers.ModelSerializer[FeedbackAnswer]):
    responder = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackAnswer
        fields = ["public_id", "responder", "went_well", "to_improve", "clarity", "created_at"]

    @extend_schema_field(GroupPersonSerializer)
    def get_responder(self, obj: FeedbackAnswer) -> dict[str, Any]:
        return _person(obj.responder)


class FeedbackAnswerCreateSerializer(serializers.Serializer[Any]):
    went_well = serializers.CharField(max_length=2000)
    to_improve = serializers.CharField(max_length=2000)
    clarity = serializers.IntegerField(min_value=1, max_value=5)


class GroupFeedbackDetailSerializer(GroupFeedbackRequestSerializer):
    answers = serializers.SerializerMethodField()

    class Meta(GroupFeedbackRequestSerializer.Meta):
        fields = [*GroupFeedbackRequestSerializer.Meta.fields, "answers"]

    @extend_schema_field(FeedbackAnswerSerializer(many=True))
    def get_answers(self, obj: FeedbackRequest) -> list[dict[str, Any]]:
        return list(FeedbackAnswerSerializer(self.context["answers"], many=True).data)


class GroupListApi(APIView):
    """The caller's groups; start one (the caller is its first member)."""

    pagination_class = cursor(("name", "id"))

    @extend_schema(responses=GroupSerializer(many=True), operation_id="group_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.groups_of(viewer=_user(request)), request, view=self
        )
        return paginator.get_paginated_response(GroupSerializer(page, many=True).data)

    @extend_schema(
        request=GroupCreateSerializer,
        responses={201: GroupSerializer},
        operation_id="group_create",
    )
    def post(self, request: Request) -> Response:
        serializer = GroupCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.group_create(creator=_user(request), **serializer.validated_data)
        group = selectors.groups_of(viewer=_user(request)).get(pk=created.pk)
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)


class InvitationListApi(APIView):
    """Open invitations to the caller, newest first."""

    pagination_class = cursor(("-invited_at", "-id"))

    @extend_schema(
        responses=GroupInvitationSerializer(many=True), operation_id="group_invitation_list"
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.invitations_for(viewer=_user(request)), request, view=self
        )
        return paginator.get_paginated_response(GroupInvitationSerializer(page, many=True).data)


class GroupDetailApi(APIView):
    """A group the caller is in: its members, guests and open invitations."""

    @extend_schema(responses=GroupDetailSerializer, operation_id="group_retrieve")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _member_group(request, public_id)
        members = selectors.members_of(viewer=_user(request), group=group)
        return Response(
            GroupDetailSerializer(
                {
                    "public_id": group.public_id,
                    "name": group.name,
                    "purpose": group.purpose,
                    "members": members,
                }
            ).data
        )


def _invitation(request: Request, public_id: uuid.UUID) -> Membership:
    group = _known_group(request, public_id)
    invitation = selectors.invitation_for(viewer=_user(request), group=group)
    if invitation is None:
        raise NotFound("No open invitation.")
    return invitation


class InvitationAcceptApi(APIView):
    """Accept an invitation: join the group (refused when it is full)."""

    @extend_schema(
        request=None, responses=GroupMembershipSerializer, operation_id="group_invitation_accept"
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        membership = services.group_invitation_accept(membership=_invitation(request, public_id))
        return Response(GroupMembershipSerializer(membership).data)


class InvitationDeclineApi(APIView):
    """Decline an invitation."""

    @extend_schema(
        request=None, responses=GroupMembershipSerializer, operation_id="group_invitation_decline"
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        membership = services.group_invitation_decline(membership=_invitation(request, public_id))
        return Response(GroupMembershipSerializer(membership).data)


class GroupInviteApi(APIView):
    """Invite someone (a member, or a coach as a guest). A 13th person is refused (400)."""

    @extend_schema(
        request=GroupInviteSerializer,
        responses={201: GroupMembershipSerializer},
        operation_id="group_invite",
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _known_group(request, public_id)
        serializer = GroupInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.group_invite(
            group=group, inviter=_user(request), **serializer.validated_data
        )
        return Response(GroupMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class GroupLeaveResultSerializer(serializers.Serializer[Any]):
    shares_withdrawn = serializers.IntegerField()


class GroupLeaveApi(APIView):
    """Leave the group: every item the caller shared to it is withdrawn."""

    @extend_schema(request=None, responses=GroupLeaveResultSerializer, operation_id="group_leave")
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _known_group(request, public_id)
        withdrawn = services.group_leave(group=group, user=_user(request))
        return Response({"shares_withdrawn": withdrawn})


class PostListApi(APIView):
    """The group's feed, newest first; post to it (members only: 400 for one who left)."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=GroupPostSerializer(many=True), operation_id="group_post_list")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _member_group(request, public_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.posts_visible_to(viewer=_user(request), group=group), request, view=self
        )
        return paginator.get_paginated_response(GroupPostSerializer(page, many=True).data)

    @extend_schema(
        request=GroupPostCreateSerializer,
        responses={201: GroupPostSerializer},
        operation_id="group_post_create",
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _known_group(request, public_id)
        serializer = GroupPostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_create(group=group, author=_user(request), **serializer.validated_data)
        return Response(GroupPostSerializer(post).data, status=status.HTTP_201_CREATED)


class ShareListApi(APIView):
    """Items members shared to the group, newest first (each listed one is logged for its
    owner); share a piece of one's own evidence (400 for anyone else's)."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=GroupSharedItemSerializer(many=True), operation_id="group_share_list")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _member_group(request, public_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.shared_items_visible_to(viewer=_user(request), group=group),
            request,
            view=self,
        )
        grants = list(page or [])
        access_log_record_shared(viewer=_user(request), grants=grants)
        return paginator.get_paginated_response(
            GroupSharedItemSerializer([_shared_item(g) for g in grants], many=True).data
        )

    @extend_schema(
        request=GroupShareCreateSerializer,
        responses={201: GroupSharedItemSerializer},
        operation_id="group_share_create",
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _known_group(request, public_id)
        serializer = GroupShareCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        grant = services.group_item_share(
            group=group,
            learner=_user(request),
            evidence_public_id=serializer.validated_data["evidence"],
        )
        return Response(
            GroupSharedItemSerializer(_shared_item(grant)).data, status=status.HTTP_201_CREATED
        )


class ShareDetailApi(APIView):
    """One shared item, read through portfolio's rule; the read is in its owner's log."""

    @extend_schema(responses=GroupSharedItemDetailSerializer, operation_id="group_share_retrieve")
    def get(self, request: Request, public_id: uuid.UUID, grant_id: int) -> Response:
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
        return Response(
            GroupSharedItemDetailSerializer(
                {**_shared_item(grant), "body": evidence.body, "occurred_on": evidence.occurred_on}
            ).data
        )


def _goal_rows(request: Request, group: LearningGroup) -> list[dict[str, Any]]:
    user = _user(request)
    goal_grants = list(selectors.shared_goal_grants(viewer=user, group=group))
    access_log_record_shared(viewer=user, grants=goal_grants)
    shown = {grant.goal_id: grant.goal for grant in goal_grants}
    rows = []
    for group_goal in selectors.group_goals_visible_to(viewer=user, group=group):
        adopted = []
        for adoption in group_goal.adoptions.all():
            goal = shown.get(adoption.goal_id)
            notes = list(goal.progress_notes.all()) if goal is not None else []
            adopted.append(
                {
                    "person": _person(adoption.learner),
                    "shows_progress": goal is not None,
                    "status": goal.status if goal is not None else None,
                    "latest_note": notes[0].text if notes else None,
                }
            )
        rows.append(
            {
                "public_id": group_goal.public_id,
                "title": group_goal.title,
                "measure": group_goal.measure,
                "adopted_by": adopted,
            }
        )
    return rows


class GroupGoalListApi(APIView):
    """The group's shared goals, who adopted each, and the progress of those who show it;
    add a goal."""

    @extend_schema(responses=GroupGoalSerializer(many=True), operation_id="group_goal_list")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _member_group(request, public_id)
        return Response(GroupGoalSerializer(_goal_rows(request, group), many=True).data)

    @extend_schema(
        request=GroupGoalCreateSerializer,
        responses={201: GroupGoalSerializer},
        operation_id="group_goal_create",
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _known_group(request, public_id)
        serializer = GroupGoalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        goal = services.group_goal_create(
            group=group, creator=_user(request), **serializer.validated_data
        )
        row = {"public_id": goal.public_id, "title": goal.title, "measure": goal.measure}
        return Response(
            GroupGoalSerializer({**row, "adopted_by": []}).data, status=status.HTTP_201_CREATED
        )


def _group_goal(request: Request, public_id: uuid.UUID, goal_id: uuid.UUID) -> GroupGoal:
    group = _member_group(request, public_id)
    return get_object_or_404(
        selectors.group_goals_visible_to(viewer=_user(request), group=group), public_id=goal_id
    )


class GroupGoalAdoptApi(APIView):
    """Take a group goal into one's own plan; adopting again returns the same goal."""

    @extend_schema(
        request=GroupGoalAdoptSerializer,
        responses=GroupGoalAdoptedSerializer,
        operation_id="group_goal_adopt",
    )
    def post(self, request: Request, public_id: uuid.UUID, goal_id: uuid.UUID) -> Response:
        group_goal = _group_goal(request, public_id, goal_id)
        serializer = GroupGoalAdoptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adoption = services.group_goal_adopt(
            group_goal=group_goal, learner=_user(request), **serializer.validated_data
        )
        return Response(
            {"goal": adoption.goal.public_id, "shows_progress": adoption.grant_id is not None}
        )


class GroupGoalProgressApi(APIView):
    """Show the group one's progress on an adopted goal, or hide it."""

    @extend_schema(
        request=GroupGoalProgressSerializer,
        responses=GroupGoalAdoptedSerializer,
        operation_id="group_goal_progress",
    )
    def post(self, request: Request, public_id: uuid.UUID, goal_id: uuid.UUID) -> Response:
        group = _member_group(request, public_id)
        adoption = get_object_or_404(
            selectors.adoptions_of(learner=_user(request), group=group),
            group_goal__public_id=goal_id,
        )
        serializer = GroupGoalProgressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adoption = services.group_goal_progress_show(
            adoption=adoption, show=serializer.validated_data["show"]
        )
        return Response(
            {"goal": adoption.goal.public_id, "shows_progress": adoption.grant_id is not None}
        )


class FeedbackListApi(APIView):
    """The group's requests for feedback, newest first; ask for feedback on a piece of one's
    own evidence (shared to the group with it) or on a presentation."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(
        responses=GroupFeedbackRequestSerializer(many=True), operation_id="group_feedback_list"
    )
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _member_group(request, public_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.feedback_requests_visible_to(viewer=_user(request), group=group),
            request,
            view=self,
        )
        return paginator.get_paginated_response(
            GroupFeedbackRequestSerializer(page, many=True).data
        )

    @extend_schema(
        request=GroupFeedbackCreateSerializer,
        responses={201: GroupFeedbackRequestSerializer},
        operation_id="group_feedback_create",
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        group = _known_group(request, public_id)
        serializer = GroupFeedbackCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.feedback_request_create(
            group=group,
            asker=_user(request),
            topic=data["topic"],
            question=data["question"],
            evidence_public_id=data["evidence"],
        )
        feedback = selectors.feedback_requests_visible_to(viewer=_user(request), group=group).get(
            pk=created.pk
        )
        return Response(
            GroupFeedbackRequestSerializer(feedback).data, status=status.HTTP_201_CREATED
        )


def _feedback(request: Request, public_id: uuid.UUID, request_id: uuid.UUID) -> FeedbackRequest:
    group = _member_group(request, public_id)
    return get_object_or_404(
        selectors.feedback_requests_visible_to(viewer=_user(request), group=group),
        public_id=request_id,
    )


class FeedbackDetailApi(APIView):
    """A request for feedback: all its answers for the asker, one's own for anyone else."""

    @extend_schema(responses=GroupFeedbackDetailSerializer, operation_id="group_feedback_retrieve")
    def get(self, request: Request, public_id: uuid.UUID, request_id: uuid.UUID) -> Response:
        feedback = _feedback(request, public_id, request_id)
        answers = selectors.answers_visible_to(viewer=_user(request), request=feedback)
        return Response(GroupFeedbackDetailSerializer(feedback, context={"answers": answers}).data)


class FeedbackAnswerApi(APIView):
    """Answer a request on the short form; it goes to the asker alone. Answering again
    returns the first answer."""

    @extend_schema(
        request=FeedbackAnswerCreateSerializer,
        responses={201: FeedbackAnswerSerializer},
        operation_id="group_feedback_answer",
    )
    def post(self, request: Request, public_id: uuid.UUID, request_id: uuid.UUID) -> Response:
        feedback = _feedback(request, public_id, request_id)
        serializer = FeedbackAnswerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = services.feedback_answer_record(
            request=feedback, responder=_user(request), **serializer.validated_data
        )
        return Response(FeedbackAnswerSerializer(answer).data, status=status.HTTP_201_CREATED)

"""The coaching API under /api/v1/coaching/: relationships, the coachee overview, threads,
meetings, action items, notifications and preferences.

Serializers validate and shape; views read through `coaching.selectors` (and, for a learner's
items, `portfolio.selectors`) and write through `coaching.services`. Anything the caller may
not see is 404; something they see but may not do is 403; refused input is 400 with field
errors and writes nothing.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from coaching import services
from coaching.calendar import UPCOMING_MAX, calendar_file, upcoming_window
from coaching.models import (
    BODY_MAX,
    NOTES_MAX,
    ActionItem,
    CoachingRelationship,
    Comment,
    CommentRevision,
    Meeting,
    Thread,
)
from coaching.overview import Coachee, coachee_overview
from coaching.selectors import (
    Target,
    action_items_visible_to,
    assignable_learners,
    coach_candidates,
    coachee_relationships,
    comments_in,
    meetings_visible_to,
    programs_assigning_coaches,
    relationships_visible_to,
    target_visible_to,
    threads_readable_by,
    threads_visible_to,
)
from coaching.trends import Trend
from core.api import cursor, moment_writer
from portfolio.models import AccessLog, Scope
from portfolio.services import access_log_record
from programs.models import Program


def _user(request: Request) -> User:
    return cast(User, request.user)


class PersonSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- Relationships --------------------------------------------------------------------------


class RelationshipSerializer(serializers.ModelSerializer[CoachingRelationship]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    learner = PersonSerializer()
    coach = PersonSerializer()
    program = serializers.CharField(source="program.name", allow_null=True, default=None)
    share_scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    awaiting = serializers.SerializerMethodField()

    class Meta:
        model = CoachingRelationship
        fields = [
            "id",
            "learner",
            "coach",
            "program",
            "origin",
            "status",
            "awaiting",
            "message",
            "share_scopes",
            "created_at",
            "accepted_at",
            "ended_at",
        ]

    def get_awaiting(self, obj: CoachingRelationship) -> str | None:
        return obj.awaiting if obj.status == CoachingRelationship.Status.PENDING else None


class RelationshipInviteSerializer(serializers.Serializer[Any]):
    coach_email = serializers.EmailField()
    share_scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices),
        default=list(services.DEFAULT_SHARE),
    )
    message = serializers.CharField(max_length=services.MESSAGE_MAX, allow_blank=True, default="")


class RelationshipAssignSerializer(serializers.Serializer[Any]):
    program = serializers.IntegerField()
    learner = serializers.IntegerField()
    coach = serializers.IntegerField()
    message = serializers.CharField(max_length=services.MESSAGE_MAX, allow_blank=True, default="")


class RelationshipAcceptSerializer(serializers.Serializer[Any]):
    share_scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices),
        required=False,
        help_text="The learner's confirmed share (the proposal if omitted). Learners only.",
    )


class RelationshipListApi(APIView):
    """Relationships the caller is in (as learner or coach) or that their program assigned."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(
        responses=RelationshipSerializer(many=True), operation_id="coaching_relationship_list"
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            relationships_visible_to(viewer=_user(request)), request, view=self
        )
        return paginator.get_paginated_response(RelationshipSerializer(page, many=True).data)


class RelationshipInviteApi(APIView):
    """A learner invites someone to coach them; the share is granted once they accept."""

    @extend_schema(
        request=RelationshipInviteSerializer,
        responses={201: RelationshipSerializer},
        operation_id="coaching_relationship_invite",
    )
    def post(self, request: Request) -> Response:
        serializer = RelationshipInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rel = services.relationship_invite(learner=_user(request), **serializer.validated_data)
        return Response(RelationshipSerializer(rel).data, status=status.HTTP_201_CREATED)


class RelationshipAssignApi(APIView):
    """A program's director or coordinator proposes a coach to a learner of the program."""

    @extend_schema(
        request=RelationshipAssignSerializer,
        responses={201: RelationshipSerializer},
        operation_id="coaching_relationship_assign",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        serializer = RelationshipAssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        programs = programs_assigning_coaches(user=user)
        program = get_object_or_404(programs, pk=data["program"])
        this_program = Program.objects.filter(pk=program.pk)
        learner = assignable_learners(programs=this_program).filter(pk=data["learner"]).first()
        coach = coach_candidates(programs=this_program).filter(pk=data["coach"]).first()
        errors: dict[str, list[str]] = {}
        if learner is None:
            errors["learner"] = ["Choose a learner currently enrolled in this program."]
        if coach is None:
            errors["coach"] = ["Choose someone who holds a role in this program."]
        if errors:
            raise serializers.ValidationError(errors)
        assert learner is not None and coach is not None
        rel = services.relationship_assign(
            assigned_by=user, program=program, learner=learner, coach=coach,
            message=data["message"],
        )  # fmt: skip
        return Response(RelationshipSerializer(rel).data, status=status.HTTP_201_CREATED)


def _relationship(request: Request, public_id: Any) -> CoachingRelationship:
    return get_object_or_404(relationships_visible_to(viewer=_user(request)), public_id=public_id)


class RelationshipRetrieveApi(APIView):
    @extend_schema(responses=RelationshipSerializer, operation_id="coaching_relationship_retrieve")
    def get(self, request: Request, public_id: Any) -> Response:
        return Response(RelationshipSerializer(_relationship(request, public_id)).data)


class RelationshipAcceptApi(APIView):
    """The side that was asked accepts; a learner confirms the share here."""

    @extend_schema(
        request=RelationshipAcceptSerializer,
        responses=RelationshipSerializer,
        operation_id="coaching_relationship_accept",
    )
    def post(self, request: Request, public_id: Any) -> Response:
        rel = _relationship(request, public_id)
        serializer = RelationshipAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rel = services.relationship_accept(
            relationship=rel,
            by=_user(request),
            share_scopes=serializer.validated_data.get("share_scopes"),
        )
        return Response(RelationshipSerializer(_relationship(request, rel.public_id)).data)


class RelationshipDeclineApi(APIView):
    @extend_schema(
        request=None, responses=RelationshipSerializer, operation_id="coaching_relationship_decline"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        rel = services.relationship_decline(
            relationship=_relationship(request, public_id), by=_user(request)
        )
        return Response(RelationshipSerializer(_relationship(request, rel.public_id)).data)


class RelationshipEndApi(APIView):
    """Either side ends an active relationship; its share is revoked at once."""

    @extend_schema(
        request=None, responses=RelationshipSerializer, operation_id="coaching_relationship_end"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        rel = services.relationship_end(
            relationship=_relationship(request, public_id), by=_user(request)
        )
        return Response(RelationshipSerializer(_relationship(request, rel.public_id)).data)


# --- Overview -------------------------------------------------------------------------------


class GapSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    title = serializers.CharField()
    self_level = serializers.DecimalField(max_digits=3, decimal_places=1)
    expected = serializers.DecimalField(max_digits=3, decimal_places=1)


class GoalDueSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    target_date = serializers.DateField()


class TrendPointSerializer(serializers.Serializer[Any]):
    on = serializers.DateField(help_text="Day of the check-in.")
    mean = serializers.DecimalField(
        max_digits=3, decimal_places=1, help_text="Mean self-assessed level of that check-in."
    )


class TrendSerializer(serializers.Serializer[Any]):
    self_points = TrendPointSerializer(
        many=True, help_text="The last check-ins of the past 180 days (at most 6), oldest first."
    )
    self_change = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        allow_null=True,
        help_text="Latest mean minus the first shown; positive means rating themself higher.",
    )
    self_direction = serializers.CharField(
        help_text='"up", "down" or "steady" (a change under 0.1); "" with fewer than two points.'
    )
    assessor_recent = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        allow_null=True,
        help_text="Mean counted level of assessors' ratings in the last 90 days.",
    )
    assessor_recent_n = serializers.IntegerField()
    assessor_earlier = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        allow_null=True,
        help_text="The same for the 90 days before.",
    )
    assessor_earlier_n = serializers.IntegerField()
    assessor_direction = serializers.CharField(
        help_text='"up", "down" or "steady"; "" without ratings in both windows.'
    )
    summary = serializers.CharField()


class CoacheeSerializer(serializers.Serializer[Any]):
    relationship = serializers.UUIDField(source="relationship.public_id")
    learner = PersonSerializer()
    shared_scopes = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.CharField())
    attention_score = serializers.IntegerField(source="score")
    latest_checkin_at = serializers.DateTimeField(allow_null=True)
    overdue_goals = GoalDueSerializer(many=True)
    due_soon_goals = GoalDueSerializer(many=True)
    gaps = GapSerializer(many=True)
    last_meeting_at = serializers.DateTimeField(allow_null=True)
    next_meeting_at = serializers.DateTimeField(allow_null=True)
    unanswered_threads = serializers.IntegerField(source="unanswered")
    trend = TrendSerializer(
        allow_null=True, help_text="Null when the learner does not share check-ins with you."
    )

    def get_shared_scopes(self, obj: Coachee) -> list[str]:
        return [s for s in Scope.values if obj.access.allows(s)]


# The overview is the API coaches call most. Its rows are built as plain dicts, the nested
# serializers' machinery costing more than the rest of the response's Python; the fields
# below format each value as the serializer does, and a test holds the two equal.
_LEVEL = serializers.DecimalField(max_digits=3, decimal_places=1)
_DAY = serializers.DateField()


def _level(value: Any) -> Any:
    return None if value is None else _LEVEL.to_representation(value)


def _goals_document(goals: list[Any]) -> list[dict[str, Any]]:
    return [
        {"id": g.pk, "title": g.title, "target_date": _DAY.to_representation(g.target_date)}
        for g in goals
    ]


def _trend_document(trend: Trend | None) -> dict[str, Any] | None:
    if trend is None:
        return None
    return {
        "self_points": [
            {"on": _DAY.to_representation(p.on), "mean": _level(p.mean)} for p in trend.self_points
        ],
        "self_change": _level(trend.self_change),
        "self_direction": trend.self_direction,
        "assessor_recent": _level(trend.assessor_recent),
        "assessor_recent_n": trend.assessor_recent_n,
        "assessor_earlier": _level(trend.assessor_earlier),
        "assessor_earlier_n": trend.assessor_earlier_n,
        "assessor_direction": trend.assessor_direction,
        "summary": trend.summary,
    }


def coachee_document(coachee: Coachee) -> dict[str, Any]:
    """`CoacheeSerializer(coachee).data`, built directly."""
    moment = moment_writer()
    return {
        "relationship": str(coachee.relationship.public_id),
        "learner": {"id": coachee.learner.pk, "name": coachee.learner.name},
        "shared_scopes": [s for s in Scope.values if coachee.access.allows(s)],
        "reasons": list(coachee.reasons),
        "attention_score": coachee.score,
        "latest_checkin_at": moment(coachee.latest_checkin_at),
        "overdue_goals": _goals_document(coachee.overdue_goals),
        "due_soon_goals": _goals_document(coachee.due_soon_goals),
        "gaps": [
            {
                "code": g.code,
                "title": g.title,
                "self_level": _level(g.self_level),
                "expected": _level(g.expected),
            }
            for g in coachee.gaps
        ],
        "last_meeting_at": moment(coachee.last_meeting_at),
        "next_meeting_at": moment(coachee.next_meeting_at),
        "unanswered_threads": coachee.unanswered,
        "trend": _trend_document(coachee.trend),
    }


class CoacheeOverviewApi(APIView):
    """The caller's coachees, most in need of attention first, each with the reasons. Facts a
    learner does not share with the coach are empty; `shared_scopes` says which."""

    @extend_schema(responses=CoacheeSerializer(many=True), operation_id="coaching_overview")
    def get(self, request: Request) -> Response:
        rows = coachee_overview(coach=_user(request))
        return Response([coachee_document(row) for row in rows])


class NudgeSerializer(serializers.Serializer[Any]):
    relationships = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=services.NUDGE_MAX_COACHEES,
        help_text="Ids of your active coaching relationships (the overview's `relationship`).",
    )
    reminder = serializers.ChoiceField(
        choices=[(key, label) for key, (label, _, _) in services.NUDGE_REMINDERS.items()]
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=services.NUDGE_NOTE_MAX
    )


class NudgeResultSerializer(serializers.Serializer[Any]):
    sent = PersonSerializer(many=True, help_text="Reminded now.")
    already = PersonSerializer(
        many=True, help_text="Had this reminder from you today; nothing was sent again."
    )


class NudgeApi(APIView):
    """Remind several coachees at once (inbox, and email as each prefers). Each coachee gets a
    reminder of one kind from you once a day: sending the same again answers 200 with them
    under `already`. At most 10 batches that reach someone per hour (429 after that). Each
    batch is recorded in the audit log."""

    @extend_schema(
        request=NudgeSerializer,
        responses={
            200: NudgeResultSerializer,
            429: OpenApiResponse(description="Too many reminders this hour."),
        },
        operation_id="coaching_nudge",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        serializer = NudgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        wanted = set(data["relationships"])
        relationships = list(
            coachee_relationships(coach=user).filter(public_id__in=wanted).select_related("program")
        )
        if len(relationships) != len(wanted):
            raise serializers.ValidationError(
                {"relationships": ["Choose among your active coachees."]}
            )
        try:
            result = services.coachees_nudge(
                coach=user,
                relationships=relationships,
                reminder=data["reminder"],
                note=data["note"],
            )
        except services.NudgeLimitReached as error:
            raise Throttled(detail=str(error)) from error
        return Response(NudgeResultSerializer(result).data)


# --- Threads --------------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer[Comment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    author = PersonSerializer(allow_null=True)
    body = serializers.CharField(help_text="Markdown source; empty once deleted.")
    body_html = serializers.CharField(help_text="Sanitised HTML, safe to insert as is.")
    deleted = serializers.BooleanField(source="is_deleted")

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "body_html", "created_at", "edited_at", "deleted"]


class ThreadSerializer(serializers.ModelSerializer[Thread]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    learner = PersonSerializer()
    participant = PersonSerializer()
    target_id = serializers.IntegerField()
    target_label = serializers.CharField()
    comment_count = serializers.IntegerField(required=False)

    class Meta:
        model = Thread
        fields = [
            "id",
            "learner",
            "participant",
            "target_type",
            "target_id",
            "target_label",
            "last_activity_at",
            "comment_count",
        ]


class ThreadDetailSerializer(ThreadSerializer):
    comments = CommentSerializer(many=True, source="comment_list")

    class Meta(ThreadSerializer.Meta):
        fields = [f for f in ThreadSerializer.Meta.fields if f != "comment_count"] + ["comments"]


class CommentWriteSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=BODY_MAX)


class CommentCreateSerializer(CommentWriteSerializer):
    target_type = serializers.ChoiceField(choices=Thread.TargetType.choices)
    target_id = serializers.IntegerField()


def _target_or_404(user: User, target_type: str, pk: int) -> Target:
    target = target_visible_to(viewer=user, target_type=target_type, pk=pk)
    if target is None:
        raise Http404("No such item.")
    return target


def _thread_and_target(user: User, public_id: Any) -> tuple[Thread, Target]:
    thread = get_object_or_404(threads_visible_to(viewer=user), public_id=public_id)
    target = target_visible_to(
        viewer=user, target_type=thread.target_type, pk=int(thread.target_id or 0)
    )
    if target is None:  # the learner stopped sharing it
        raise Http404("No such thread.")
    return thread, target


def _thread_detail(thread: Thread) -> dict[str, Any]:
    thread.comment_list = list(comments_in(threads=[thread]))  # type: ignore[attr-defined]
    return dict(ThreadDetailSerializer(thread).data)


class ThreadListApi(APIView):
    """The caller's 100 most recently active threads that they may open now."""

    @extend_schema(responses=ThreadSerializer(many=True), operation_id="coaching_thread_list")
    def get(self, request: Request) -> Response:
        return Response(
            ThreadSerializer(threads_readable_by(viewer=_user(request)), many=True).data
        )


class ThreadRetrieveApi(APIView):
    """One thread with its comments (tombstones included). Reading it as someone other than
    the learner is logged in the learner's access log."""

    @extend_schema(responses=ThreadDetailSerializer, operation_id="coaching_thread_retrieve")
    def get(self, request: Request, public_id: Any) -> Response:
        thread, target = _thread_and_target(_user(request), public_id)
        access_log_record(access=target.access, items=[target.item], action=AccessLog.Action.VIEW)
        return Response(_thread_detail(thread))


class CommentCreateApi(APIView):
    """Comment on a learner's goal, evidence or check-in shared with you (your own thread on
    it is created on first use). 404 if the item is not shared with you."""

    @extend_schema(
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
        operation_id="coaching_comment_create",
    )
    def post(self, request: Request) -> Response:
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = _user(request)
        target = _target_or_404(user, data["target_type"], data["target_id"])
        comment = services.comment_post(author=user, target=target, body=data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class ThreadReplyApi(APIView):
    """Write in an existing thread: the learner's reply, or the other person's next word."""

    @extend_schema(
        request=CommentWriteSerializer,
        responses={201: CommentSerializer},
        operation_id="coaching_thread_reply",
    )
    def post(self, request: Request, public_id: Any) -> Response:
        user = _user(request)
        thread, target = _thread_and_target(user, public_id)
        serializer = CommentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_post(
            author=user, target=target, body=serializer.validated_data["body"], thread=thread
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


def _comment(user: User, public_id: Any) -> Comment:
    comment = get_object_or_404(
        Comment.objects.select_related("thread", "author"),
        public_id=public_id,
        thread__in=threads_visible_to(viewer=user),
    )
    _thread_and_target(user, comment.thread.public_id)
    return comment


class CommentDetailApi(APIView):
    """Edit (the earlier text is kept) or delete (a tombstone stays) your own comment."""

    @extend_schema(
        request=CommentWriteSerializer,
        responses=CommentSerializer,
        operation_id="coaching_comment_update",
    )
    def patch(self, request: Request, public_id: Any) -> Response:
        user = _user(request)
        comment = _comment(user, public_id)
        serializer = CommentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_edit(
            comment=comment, by=user, body=serializer.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data)

    @extend_schema(
        # A deleted comment leaves a tombstone, returned with 200; without the explicit code
        # the schema generator would document a DELETE as 204.
        request=None,
        responses={200: CommentSerializer},
        operation_id="coaching_comment_delete",
    )
    def delete(self, request: Request, public_id: Any) -> Response:
        user = _user(request)
        comment = services.comment_delete(comment=_comment(user, public_id), by=user)
        return Response(CommentSerializer(comment).data)


class CommentRevisionSerializer(serializers.ModelSerializer[CommentRevision]):
    class Meta:
        model = CommentRevision
        fields = ["body", "body_html", "written_at", "replaced_at"]


class CommentRevisionListApi(APIView):
    """Earlier versions of an edited comment, newest first."""

    @extend_schema(
        responses=CommentRevisionSerializer(many=True),
        operation_id="coaching_comment_revision_list",
    )
    def get(self, request: Request, public_id: Any) -> Response:
        comment = _comment(_user(request), public_id)
        return Response(CommentRevisionSerializer(comment.revisions.all(), many=True).data)


# --- Meetings and action items --------------------------------------------------------------


class ActionItemSerializer(serializers.ModelSerializer[ActionItem]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    meeting = serializers.UUIDField(source="meeting.public_id", read_only=True)
    goal = serializers.IntegerField(source="goal_id", allow_null=True)
    resulting_goal = serializers.IntegerField(source="resulting_goal_id", allow_null=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "title",
            "detail",
            "target_date",
            "goal",
            "status",
            "resulting_goal",
            "created_at",
            "decided_at",
        ]


class MeetingSerializer(serializers.ModelSerializer[Meeting]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    relationship = serializers.UUIDField(source="relationship.public_id", read_only=True)
    learner = PersonSerializer()
    coach = PersonSerializer()
    private_notes = serializers.SerializerMethodField(
        help_text="The coach's private notes; null for the learner."
    )
    private_notes_html = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "relationship",
            "learner",
            "coach",
            "starts_at",
            "duration_minutes",
            "location",
            "status",
            "agenda",
            "agenda_html",
            "shared_notes",
            "shared_notes_html",
            "private_notes",
            "private_notes_html",
            "created_at",
            "updated_at",
        ]

    def _is_coach(self, obj: Meeting) -> bool:
        viewer = self.context.get("viewer")
        return viewer is not None and viewer.pk == obj.coach_id

    def get_private_notes(self, obj: Meeting) -> str | None:
        return obj.private_notes if self._is_coach(obj) else None

    def get_private_notes_html(self, obj: Meeting) -> str | None:
        return obj.private_notes_html if self._is_coach(obj) else None


class MeetingDetailSerializer(MeetingSerializer):
    action_items = ActionItemSerializer(many=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "action_items"]


class MeetingCreateSerializer(serializers.Serializer[Any]):
    relationship = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=480, default=30)
    location = serializers.CharField(max_length=200, allow_blank=True, default="")


class MeetingNotesSerializer(serializers.Serializer[Any]):
    agenda = serializers.CharField(max_length=NOTES_MAX, allow_blank=True, required=False)
    shared_notes = serializers.CharField(max_length=NOTES_MAX, allow_blank=True, required=False)
    private_notes = serializers.CharField(max_length=NOTES_MAX, allow_blank=True, required=False)
    held = serializers.BooleanField(required=False, default=False)


class ActionItemCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    detail = serializers.CharField(max_length=2000, allow_blank=True, default="")
    target_date = serializers.DateField(allow_null=True, default=None)
    goal = serializers.IntegerField(
        allow_null=True, default=None, help_text="A goal of the learner to update; null for new."
    )


class MeetingListCreateApi(APIView):
    """Meetings the caller is in (newest first); a coach schedules one with a coachee."""

    pagination_class = cursor(("-starts_at", "-id"))

    @extend_schema(responses=MeetingSerializer(many=True), operation_id="coaching_meeting_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            meetings_visible_to(viewer=_user(request)), request, view=self
        )
        context = {"viewer": _user(request)}
        return paginator.get_paginated_response(
            MeetingSerializer(page, many=True, context=context).data
        )

    @extend_schema(
        request=MeetingCreateSerializer,
        responses={201: MeetingDetailSerializer},
        operation_id="coaching_meeting_create",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        serializer = MeetingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        relationship = (
            coachee_relationships(coach=user).filter(public_id=data["relationship"]).first()
        )
        if relationship is None:
            raise serializers.ValidationError(
                {"relationship": ["Choose one of your active coachees."]}
            )
        meeting = services.meeting_schedule(
            coach=user,
            relationship=relationship,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
        )
        return Response(
            MeetingDetailSerializer(meeting, context={"viewer": user}).data,
            status=status.HTTP_201_CREATED,
        )


def _meeting(request: Request, public_id: Any) -> Meeting:
    return get_object_or_404(
        meetings_visible_to(viewer=_user(request)).prefetch_related("action_items__meeting"),
        public_id=public_id,
    )


class MeetingDetailApi(APIView):
    """A meeting with its action items; the coach edits agenda and notes."""

    @extend_schema(responses=MeetingDetailSerializer, operation_id="coaching_meeting_retrieve")
    def get(self, request: Request, public_id: Any) -> Response:
        meeting = _meeting(request, public_id)
        return Response(MeetingDetailSerializer(meeting, context={"viewer": _user(request)}).data)

    @extend_schema(
        request=MeetingNotesSerializer,
        responses=MeetingDetailSerializer,
        operation_id="coaching_meeting_update",
    )
    def patch(self, request: Request, public_id: Any) -> Response:
        meeting = _meeting(request, public_id)
        serializer = MeetingNotesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.meeting_notes_update(
            meeting=meeting,
            by=_user(request),
            agenda=data.get("agenda", meeting.agenda),
            shared_notes=data.get("shared_notes", meeting.shared_notes),
            private_notes=data.get("private_notes", meeting.private_notes),
            held=data["held"],
        )
        meeting = _meeting(request, public_id)
        return Response(MeetingDetailSerializer(meeting, context={"viewer": _user(request)}).data)


_CALENDAR = {(200, "text/calendar"): OpenApiTypes.STR}


def _calendar_response(content: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class MeetingCalendarApi(APIView):
    """One meeting the caller is in, as an iCalendar file (RFC 5545). The event's UID is the
    meeting's id, so importing it again updates the event. No agenda or notes are included."""

    @extend_schema(responses=_CALENDAR, operation_id="coaching_meeting_calendar")
    def get(self, request: Request, public_id: Any) -> HttpResponse:
        meeting = get_object_or_404(meetings_visible_to(viewer=_user(request)), public_id=public_id)
        content = calendar_file(
            [meeting], viewer_id=_user(request).pk, base_url=request.build_absolute_uri("/")
        )
        return _calendar_response(content, f"coaching-{meeting.starts_at:%Y-%m-%d}.ics")


class MeetingsCalendarApi(APIView):
    """The caller's scheduled meetings of the next 365 days (at most 200), as coach and as
    learner, in one iCalendar file."""

    @extend_schema(responses=_CALENDAR, operation_id="coaching_meetings_calendar")
    def get(self, request: Request) -> HttpResponse:
        user = _user(request)
        start, end = upcoming_window(timezone.now())
        meetings = meetings_visible_to(viewer=user).filter(
            status=Meeting.Status.SCHEDULED, starts_at__gte=start, starts_at__lt=end
        )
        content = calendar_file(
            meetings.order_by("starts_at", "id")[:UPCOMING_MAX],
            viewer_id=user.pk,
            base_url=request.build_absolute_uri("/"),
        )
        return _calendar_response(content, "coaching-meetings.ics")


class MeetingCancelApi(APIView):
    @extend_schema(
        request=None, responses=MeetingDetailSerializer, operation_id="coaching_meeting_cancel"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        services.meeting_cancel(meeting=_meeting(request, public_id), by=_user(request))
        meeting = _meeting(request, public_id)
        return Response(MeetingDetailSerializer(meeting, context={"viewer": _user(request)}).data)


class ActionItemCreateApi(APIView):
    """The coach proposes an action item: a new goal, or a change to a goal of the learner's
    that they share with the coach. 400 for anyone else's goal."""

    @extend_schema(
        request=ActionItemCreateSerializer,
        responses={201: ActionItemSerializer},
        operation_id="coaching_action_item_create",
    )
    def post(self, request: Request, public_id: Any) -> Response:
        meeting = _meeting(request, public_id)
        serializer = ActionItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = services.action_item_propose(
            meeting=meeting,
            by=_user(request),
            title=data["title"],
            detail=data["detail"],
            target_date=data["target_date"],
            goal_id=data["goal"],
        )
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)


class ActionItemListApi(APIView):
    """Action items for the caller: as the learner, or as the coach who proposed them."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ActionItem.Status.values)],
        responses=ActionItemSerializer(many=True),
        operation_id="coaching_action_item_list",
    )
    def get(self, request: Request) -> Response:
        items = action_items_visible_to(viewer=_user(request))
        wanted = request.query_params.get("status", "")
        if wanted:
            if wanted not in ActionItem.Status.values:
                raise serializers.ValidationError({"status": ["Unknown status."]})
            items = items.filter(status=wanted)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(ActionItemSerializer(page, many=True).data)


def _item(request: Request, public_id: Any) -> ActionItem:
    return get_object_or_404(action_items_visible_to(viewer=_user(request)), public_id=public_id)


class ActionItemConfirmApi(APIView):
    """The learner confirms: the item becomes a goal or updates one. Idempotent."""

    @extend_schema(
        request=None, responses=ActionItemSerializer, operation_id="coaching_action_item_confirm"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        item = services.action_item_confirm(item=_item(request, public_id), by=_user(request))
        return Response(ActionItemSerializer(item).data)


class ActionItemDeclineApi(APIView):
    @extend_schema(
        request=None, responses=ActionItemSerializer, operation_id="coaching_action_item_decline"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        item = services.action_item_decline(item=_item(request, public_id), by=_user(request))
        return Response(ActionItemSerializer(item).data)

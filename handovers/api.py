"""Handovers in `/api/v1/`: the learner's own (build, preview, send, withdraw, delete) and
those received by a program's reviewers, each read logged for the learner."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import cursor
from handovers import services
from handovers.models import Handover
from handovers.selectors import handovers_of, handovers_received_by
from handovers.views import log_reads
from portfolio.models import AccessLog


def _user(request: Request) -> User:
    return cast(User, request.user)


class LevelSerializer(serializers.Serializer[Any]):
    framework = serializers.CharField()
    code = serializers.CharField()
    title = serializers.CharField()
    assessor_level = serializers.CharField(allow_null=True)
    assessor_on = serializers.DateField(allow_null=True)
    assessor_n = serializers.IntegerField()
    self_level = serializers.CharField(allow_null=True)
    self_on = serializers.DateField(allow_null=True)


class GoalSummarySerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    measure = serializers.CharField()
    status = serializers.CharField()
    target_date = serializers.DateField()
    competencies = serializers.ListField(child=serializers.CharField())


class EvidenceSummarySerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    kind = serializers.CharField()
    occurred_on = serializers.DateField()
    body = serializers.CharField()
    credit_hours = serializers.CharField(allow_null=True)


class ContentSerializer(serializers.Serializer[Any]):
    levels = LevelSerializer(many=True)
    goals = GoalSummarySerializer(many=True)
    evidence = EvidenceSummarySerializer(many=True)


class HandoverSerializer(serializers.ModelSerializer[Handover]):
    program = serializers.SerializerMethodField()
    content = ContentSerializer(help_text="Exactly what the program reads.")

    class Meta:
        model = Handover
        fields = [
            "public_id",
            "program",
            "status",
            "note",
            "include_levels",
            "include_goals",
            "content",
            "created_at",
            "sent_at",
            "withdrawn_at",
        ]

    def get_program(self, obj: Handover) -> dict[str, Any]:
        return {"id": obj.program_id, "name": obj.program.name}


class ReceivedHandoverSerializer(HandoverSerializer):
    learner = serializers.SerializerMethodField()

    class Meta(HandoverSerializer.Meta):
        fields = ["learner", *HandoverSerializer.Meta.fields]

    def get_learner(self, obj: Handover) -> dict[str, Any]:
        return {"id": obj.learner_id, "name": obj.learner.name}


class HandoverCreateSerializer(serializers.Serializer[Any]):
    program = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    include_levels = serializers.BooleanField(required=False, default=True)
    include_goals = serializers.BooleanField(required=False, default=True)
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50
    )


class HandoverListApi(APIView):
    """The caller's handovers, newest first; build a draft (its content is the preview)."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=HandoverSerializer(many=True), operation_id="handover_list")
    def get(self, request: Request) -> Response:
        items = handovers_of(viewer=_user(request), learner=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(HandoverSerializer(page, many=True).data)

    @extend_schema(
        request=HandoverCreateSerializer,
        responses={201: HandoverSerializer},
        operation_id="handover_create",
    )
    def post(self, request: Request) -> Response:
        serializer = HandoverCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        handover = services.handover_create(
            learner=_user(request),
            program_id=data["program"],
            note=data["note"],
            include_levels=data["include_levels"],
            include_goals=data["include_goals"],
            evidence_ids=data["evidence"],
        )
        return Response(HandoverSerializer(handover).data, status=status.HTTP_201_CREATED)


def _own(request: Request, public_id: uuid.UUID) -> Handover:
    return get_object_or_404(
        handovers_of(viewer=_user(request), learner=_user(request)), public_id=public_id
    )


class HandoverDetailApi(APIView):
    """One of the caller's handovers: read (the preview), delete a draft."""

    @extend_schema(responses=HandoverSerializer, operation_id="handover_retrieve")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        return Response(HandoverSerializer(_own(request, public_id)).data)

    @extend_schema(responses={204: None}, operation_id="handover_delete")
    def delete(self, request: Request, public_id: uuid.UUID) -> Response:
        services.handover_delete(handover=_own(request, public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class HandoverSendApi(APIView):
    """Send the draft exactly as previewed (again: no change)."""

    @extend_schema(request=None, responses=HandoverSerializer, operation_id="handover_send")
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        handover = services.handover_send(handover=_own(request, public_id))
        return Response(HandoverSerializer(handover).data)


class HandoverRefreshApi(APIView):
    """Rebuild a draft's content from the learner's record as it is now."""

    @extend_schema(request=None, responses=HandoverSerializer, operation_id="handover_refresh")
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        handover = services.handover_refresh(handover=_own(request, public_id))
        return Response(HandoverSerializer(handover).data)


class HandoverWithdrawApi(APIView):
    """Withdraw a sent handover: the program no longer sees it."""

    @extend_schema(request=None, responses=HandoverSerializer, operation_id="handover_withdraw")
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        handover = services.handover_withdraw(handover=_own(request, public_id))
        return Response(HandoverSerializer(handover).data)


class ReceivedHandoverListApi(APIView):
    """Handovers sent to programs the caller reviews; each listed one is logged."""

    pagination_class = cursor(("-sent_at", "-id"))

    @extend_schema(
        responses=ReceivedHandoverSerializer(many=True), operation_id="handover_received_list"
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            handovers_received_by(viewer=_user(request)), request, view=self
        )
        log_reads(_user(request), list(page or []), AccessLog.Action.LIST)
        return paginator.get_paginated_response(ReceivedHandoverSerializer(page, many=True).data)


class ReceivedHandoverDetailApi(APIView):
    """One handover sent to a program the caller reviews; the read is logged."""

    @extend_schema(responses=ReceivedHandoverSerializer, operation_id="handover_received_retrieve")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        handover = get_object_or_404(
            handovers_received_by(viewer=_user(request)), public_id=public_id
        )
        log_reads(_user(request), [handover], AccessLog.Action.VIEW)
        return Response(ReceivedHandoverSerializer(handover).data)

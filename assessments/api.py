"""Assessments API.

Self-assessment check-ins first (the learner's own; idempotent by client token); assessments by
others and observation requests belong in their own section below.
"""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from assessments.models import CheckIn, SelfAssessment
from assessments.services import (
    CheckInInvalidError,
    CheckInTokenConflictError,
    SelfAssessmentInput,
    checkin_record,
)
from frameworks.models import Framework
from portfolio.api import CompetencyOfItemSerializer, cursor
from portfolio.selectors import checkins_visible_to, self_assessments_visible_to
from programs.selectors import frameworks_in_use

# --- Self-assessments and check-ins --------------------------------------------------------


def _user(request: Request) -> User:
    return cast(User, request.user)


class SelfAssessmentSerializer(serializers.ModelSerializer[SelfAssessment]):
    competency = CompetencyOfItemSerializer(read_only=True)
    evidence: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = SelfAssessment
        fields = [
            "id",
            "competency",
            "level",
            "note",
            "assessed_on",
            "checkin",
            "evidence",
            "created_at",
        ]


class CheckInFrameworkSerializer(serializers.ModelSerializer[Framework]):
    class Meta:
        model = Framework
        fields = ["id", "code", "version", "name"]


class CheckInSerializer(serializers.ModelSerializer[CheckIn]):
    framework = CheckInFrameworkSerializer(read_only=True, allow_null=True)
    items = SelfAssessmentSerializer(many=True, read_only=True)

    class Meta:
        model = CheckIn
        fields = ["id", "client_token", "framework", "created_at", "items"]


class CheckInItemWriteSerializer(serializers.Serializer[Any]):
    competency = serializers.IntegerField(min_value=1)
    level = serializers.DecimalField(max_digits=3, decimal_places=1)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )


class CheckInWriteSerializer(serializers.Serializer[Any]):
    client_token = serializers.UUIDField(
        help_text="Made by the client once per check-in; sending it again returns the first one."
    )
    framework = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    assessed_on = serializers.DateField(required=False, allow_null=True, default=None)
    items = CheckInItemWriteSerializer(many=True, allow_empty=False)


class CheckInListApi(APIView):
    """The caller's check-ins, newest first (cursor-paginated); record a new one.

    A repeated `client_token` returns the check-in it first recorded with status 200 instead
    of 201; nothing is recorded twice. Levels must be on the framework's scale and every
    competency a ratable one of the caller's current frameworks; otherwise 400 and nothing
    is written.
    """

    pagination_class = cursor(("-created_at", "-id"), page_size=20)

    @extend_schema(responses=CheckInSerializer(many=True), operation_id="checkin_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        items = checkins_visible_to(viewer=_user(request), learner=_user(request)).prefetch_related(
            "items__evidence"
        )
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(CheckInSerializer(page, many=True).data)

    @extend_schema(
        request=CheckInWriteSerializer,
        responses={
            201: CheckInSerializer,
            200: OpenApiResponse(CheckInSerializer, description="Already recorded with this token"),
            400: OpenApiResponse(
                description="Field errors; `items` maps item positions to messages"
            ),
            409: OpenApiResponse(description="The token belongs to another person's check-in"),
        },
        operation_id="checkin_create",
    )
    def post(self, request: Request) -> Response:
        serializer = CheckInWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        learner = _user(request)
        framework = None
        if data["framework"] is not None:
            framework = frameworks_in_use(learner=learner).filter(pk=data["framework"]).first()
            if framework is None:
                return Response(
                    {
                        "detail": "Invalid input.",
                        "framework": ["Not a framework of your current program."],
                    },
                    status=status.HTTP_400_BAD_REQUEST,
                )
        items = [
            SelfAssessmentInput(i["competency"], i["level"], i["note"], i["evidence"])
            for i in data["items"]
        ]
        try:
            checkin, created = checkin_record(
                learner=learner,
                client_token=data["client_token"],
                items=items,
                assessed_on=data["assessed_on"],
                framework=framework,
            )
        except CheckInInvalidError as error:
            position = {item.competency_id: index for index, item in enumerate(items)}
            by_item = {
                str(position.get(pk, pk)): messages for pk, messages in error.item_errors.items()
            }
            return Response(
                {
                    "detail": "Nothing was recorded: see the errors per item.",
                    "items": by_item or error.message_dict.get("items", []),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except CheckInTokenConflictError:
            return Response(
                {"detail": "This client token was already used by someone else; make a new one."},
                status=status.HTTP_409_CONFLICT,
            )
        checkin = (
            checkins_visible_to(viewer=learner, learner=learner)
            .prefetch_related("items__evidence")
            .get(pk=checkin.pk)
        )
        return Response(
            CheckInSerializer(checkin).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CheckInDetailApi(APIView):
    """One of the caller's check-ins with its items."""

    @extend_schema(responses=CheckInSerializer, operation_id="checkin_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        checkins = checkins_visible_to(viewer=_user(request), learner=_user(request))
        checkin = get_object_or_404(checkins.prefetch_related("items__evidence"), pk=pk)
        return Response(CheckInSerializer(checkin).data)


class SelfAssessmentListApi(APIView):
    """The caller's self-assessment history, newest first (cursor-paginated)."""

    pagination_class = cursor(("-assessed_on", "-id"), page_size=100)

    @extend_schema(
        parameters=[OpenApiParameter("competency", int, description="Only this competency.")],
        responses=SelfAssessmentSerializer(many=True),
        operation_id="self_assessment_list",
    )
    def get(self, request: Request) -> Response:
        items = self_assessments_visible_to(
            viewer=_user(request), learner=_user(request)
        ).prefetch_related("evidence")
        competency = request.query_params.get("competency", "")
        if competency:
            if not competency.isdigit():
                return Response(
                    {"detail": "Invalid input.", "competency": ["Expected an id."]}, status=400
                )
            items = items.filter(competency_id=int(competency))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(SelfAssessmentSerializer(page, many=True).data)

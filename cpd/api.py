"""The practice stage and the CPD diary in `/api/v1/`: typed serializers shape, services write.
Everything here is the caller's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import created_response, cursor
from cpd import services
from cpd.models import CpdActivity, CreditType, LicensingCycle
from cpd.selectors import (
    CycleTotals,
    activities_of,
    credit_types,
    current_cycle,
    cycle_totals,
    cycles_of,
    cycles_totals,
)
from frameworks.api import CompetencyOfItemSerializer
from programs.models import PracticeStage, PracticeTarget
from programs.selectors import practice_stage_of, practice_targets_of
from programs.services import practice_start, practice_targets_set, practice_update


def _user(request: Request) -> User:
    return cast(User, request.user)


# --- Practice -------------------------------------------------------------------------------


class PracticeFrameworkSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    version = serializers.CharField()
    name = serializers.CharField()


class PracticeStageSerializer(serializers.ModelSerializer[PracticeStage]):
    frameworks = PracticeFrameworkSerializer(many=True, read_only=True)

    class Meta:
        model = PracticeStage
        fields = ["id", "specialty", "start_date", "end_date", "frameworks"]


class PracticeStartSerializer(serializers.Serializer[Any]):
    specialty = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    frameworks = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=50
    )


class PracticeUpdateSerializer(serializers.Serializer[Any]):
    specialty = serializers.CharField(max_length=120, required=False, allow_blank=True)
    frameworks = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=50, required=False
    )


def _stage(request: Request) -> PracticeStage:
    stage = practice_stage_of(learner=_user(request))
    if stage is None:
        raise NotFound("You have not continued into practice.")
    return stage


class MePracticeApi(APIView):
    """The caller's own practice stage: read it, open it (continue into practice), change it."""

    @extend_schema(
        responses={200: PracticeStageSerializer, 404: None}, operation_id="me_practice_retrieve"
    )
    def get(self, request: Request) -> Response:
        return Response(PracticeStageSerializer(_stage(request)).data)

    @extend_schema(
        request=PracticeStartSerializer,
        responses={201: PracticeStageSerializer, 200: PracticeStageSerializer},
        operation_id="me_practice_start",
    )
    def post(self, request: Request) -> Response:
        serializer = PracticeStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        stage, created = practice_start(
            learner=_user(request),
            specialty=data["specialty"],
            framework_ids=data["frameworks"],
            start_date=data["start_date"],
        )
        stage = _stage(request)
        return created_response(PracticeStageSerializer(stage).data, created=created)

    @extend_schema(
        request=PracticeUpdateSerializer,
        responses=PracticeStageSerializer,
        operation_id="me_practice_update",
    )
    def patch(self, request: Request) -> Response:
        stage = _stage(request)
        serializer = PracticeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        practice_update(
            stage=stage,
            specialty=data.get("specialty", stage.specialty),
            framework_ids=data.get("frameworks", [f.pk for f in stage.frameworks.all()]),
        )
        return Response(PracticeStageSerializer(_stage(request)).data)


class PracticeTargetSerializer(serializers.ModelSerializer[PracticeTarget]):
    competency = CompetencyOfItemSerializer(read_only=True)
    level = serializers.DecimalField(max_digits=3, decimal_places=1)
    graduation_level = serializers.DecimalField(
        source="floor",
        max_digits=3,
        decimal_places=1,
        read_only=True,
        help_text="Expected at graduation: a target never goes below it.",
    )

    class Meta:
        model = PracticeTarget
        fields = ["competency", "level", "graduation_level"]


class PracticeTargetInputSerializer(serializers.Serializer[Any]):
    competency = serializers.IntegerField(min_value=1)
    level = serializers.DecimalField(max_digits=3, decimal_places=1)


class PracticeTargetsInputSerializer(serializers.Serializer[Any]):
    targets = serializers.ListField(
        child=PracticeTargetInputSerializer(), min_length=1, max_length=500
    )


class MePracticeTargetsApi(APIView):
    """The caller's own target level per competency of the frameworks they follow."""

    @extend_schema(
        responses={200: PracticeTargetSerializer(many=True), 404: None},
        operation_id="me_practice_targets",
    )
    def get(self, request: Request) -> Response:
        targets = practice_targets_of(stage=_stage(request))
        return Response(PracticeTargetSerializer(targets, many=True).data)

    @extend_schema(
        request=PracticeTargetsInputSerializer,
        responses=PracticeTargetSerializer(many=True),
        operation_id="me_practice_targets_set",
    )
    def put(self, request: Request) -> Response:
        stage = _stage(request)
        serializer = PracticeTargetsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        levels = {t["competency"]: t["level"] for t in serializer.validated_data["targets"]}
        practice_targets_set(stage=stage, levels=levels)
        return Response(PracticeTargetSerializer(practice_targets_of(stage=stage), many=True).data)


# --- CPD ------------------------------------------------------------------------------------


class CreditTypeSerializer(serializers.ModelSerializer[CreditType]):
    class Meta:
        model = CreditType
        fields = ["code", "name", "is_category_1"]


class CreditTypeListApi(APIView):
    """The credit types an activity may earn."""

    @extend_schema(responses=CreditTypeSerializer(many=True), operation_id="cpd_credit_types")
    def get(self, request: Request) -> Response:
        return Response(CreditTypeSerializer(credit_types(), many=True).data)


class ActivitySerializer(serializers.ModelSerializer[CpdActivity]):
    credit_type = CreditTypeSerializer(read_only=True)
    competencies = CompetencyOfItemSerializer(many=True, read_only=True)
    evidence: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CpdActivity
        fields = [
            "id",
            "public_id",
            "occurred_on",
            "title",
            "provider",
            "credit_type",
            "hours",
            "notes",
            "competencies",
            "evidence",
            "source",
            "created_at",
            "updated_at",
        ]


class ActivityWriteSerializer(serializers.Serializer[Any]):
    occurred_on = serializers.DateField()
    title = serializers.CharField(max_length=200)
    provider = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    credit_type = serializers.CharField(max_length=40, help_text="A credit type's code.")
    hours = serializers.DecimalField(max_digits=6, decimal_places=2)
    notes = serializers.CharField(max_length=4000, required=False, default="", allow_blank=True)
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=100
    )
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=100
    )
    client_token = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="Sent again, no duplicate."
    )


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "occurred_on": data["occurred_on"],
        "title": data["title"],
        "provider": data["provider"],
        "credit_type": data["credit_type"],
        "hours": data["hours"],
        "notes": data["notes"],
        "competency_ids": data["competencies"],
        "evidence_ids": data["evidence"],
    }


class ActivityListApi(APIView):
    """The caller's CPD activities, newest first; log one."""

    pagination_class = cursor(("-occurred_on", "-id"))

    @extend_schema(responses=ActivitySerializer(many=True), operation_id="cpd_activity_list")
    def get(self, request: Request) -> Response:
        activities = activities_of(viewer=_user(request), learner=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(activities, request, view=self)
        return paginator.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(
        request=ActivityWriteSerializer,
        responses={201: ActivitySerializer, 200: ActivitySerializer},
        operation_id="cpd_activity_create",
    )
    def post(self, request: Request) -> Response:
        serializer = ActivityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        activity, created = services.cpd_activity_record(
            learner=_user(request), client_token=data["client_token"], **_values(data)
        )
        activity = activities_of(viewer=_user(request), learner=_user(request)).get(pk=activity.pk)
        return created_response(ActivitySerializer(activity).data, created=created)


class ActivityDetailApi(APIView):
    """One of the caller's activities: read, replace, delete."""

    def _get(self, request: Request, pk: int) -> CpdActivity:
        return get_object_or_404(
            activities_of(viewer=_user(request), learner=_user(request)), pk=pk
        )

    @extend_schema(responses=ActivitySerializer, operation_id="cpd_activity_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(ActivitySerializer(self._get(request, pk)).data)

    @extend_schema(
        request=ActivityWriteSerializer,
        responses=ActivitySerializer,
        operation_id="cpd_activity_update",
    )
    def put(self, request: Request, pk: int) -> Response:
        activity = self._get(request, pk)
        serializer = ActivityWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.cpd_activity_update(activity=activity, **_values(serializer.validated_data))
        return Response(ActivitySerializer(self._get(request, pk)).data)

    @extend_schema(responses={204: None}, operation_id="cpd_activity_delete")
    def delete(self, request: Request, pk: int) -> Response:
        services.cpd_activity_delete(activity=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TypeTotalSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    is_category_1 = serializers.BooleanField()
    hours = serializers.DecimalField(max_digits=10, decimal_places=2)


class CycleSerializer(serializers.ModelSerializer[LicensingCycle]):
    end_date = serializers.DateField(read_only=True, help_text="The first day after the cycle.")

    class Meta:
        model = LicensingCycle
        fields = [
            "id",
            "name",
            "start_date",
            "length_months",
            "end_date",
            "credits_required",
            "category_1_required",
        ]
        read_only_fields = ["id"]


class CycleTotalsSerializer(serializers.Serializer[Any]):
    cycle = CycleSerializer()
    earned = serializers.DecimalField(source="total", max_digits=10, decimal_places=2)
    category_1 = serializers.DecimalField(max_digits=10, decimal_places=2)
    still_needed = serializers.DecimalField(max_digits=10, decimal_places=2)
    category_1_still_needed = serializers.DecimalField(max_digits=10, decimal_places=2)
    by_type = TypeTotalSerializer(many=True)


class CycleWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    start_date = serializers.DateField()
    length_months = serializers.IntegerField(min_value=1, max_value=120)
    credits_required = serializers.DecimalField(max_digits=6, decimal_places=2)
    category_1_required = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, default=Decimal(0)
    )


class CycleListApi(APIView):
    """The caller's licensing cycles with their totals, latest first; set one."""

    pagination_class = cursor(("-start_date", "-id"))

    @extend_schema(responses=CycleTotalsSerializer(many=True), operation_id="cpd_cycle_list")
    def get(self, request: Request) -> Response:
        cycles = cycles_of(viewer=_user(request), learner=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(cycles, request, view=self) or []
        totals = cycles_totals(cycles=list(page))
        return paginator.get_paginated_response(CycleTotalsSerializer(totals, many=True).data)

    @extend_schema(
        request=CycleWriteSerializer,
        responses={201: CycleTotalsSerializer},
        operation_id="cpd_cycle_create",
    )
    def post(self, request: Request) -> Response:
        serializer = CycleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cycle = services.licensing_cycle_save(learner=_user(request), **serializer.validated_data)
        return Response(
            CycleTotalsSerializer(cycle_totals(cycle=cycle)).data, status=status.HTTP_201_CREATED
        )


class CycleDetailApi(APIView):
    """One of the caller's cycles with its totals: read, replace, delete."""

    def _get(self, request: Request, pk: int) -> LicensingCycle:
        return get_object_or_404(cycles_of(viewer=_user(request), learner=_user(request)), pk=pk)

    @extend_schema(responses=CycleTotalsSerializer, operation_id="cpd_cycle_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(CycleTotalsSerializer(cycle_totals(cycle=self._get(request, pk))).data)

    @extend_schema(
        request=CycleWriteSerializer,
        responses=CycleTotalsSerializer,
        operation_id="cpd_cycle_update",
    )
    def put(self, request: Request, pk: int) -> Response:
        cycle = self._get(request, pk)
        serializer = CycleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.licensing_cycle_save(
            learner=_user(request), cycle=cycle, **serializer.validated_data
        )
        return Response(CycleTotalsSerializer(cycle_totals(cycle=cycle)).data)

    @extend_schema(responses={204: None}, operation_id="cpd_cycle_delete")
    def delete(self, request: Request, pk: int) -> Response:
        services.licensing_cycle_delete(cycle=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CpdSummaryApi(APIView):
    """The current licensing cycle's totals and what is still needed (404 without a cycle)."""

    @extend_schema(responses={200: CycleTotalsSerializer, 404: None}, operation_id="cpd_summary")
    def get(self, request: Request) -> Response:
        cycle = current_cycle(viewer=_user(request), learner=_user(request))
        if cycle is None:
            raise NotFound("Set a licensing cycle first.")
        totals: CycleTotals = cycle_totals(cycle=cycle)
        return Response(CycleTotalsSerializer(totals).data)

"""The equity app in `/api/v1/`: the caller's own characteristics (nobody else's, whatever
their role), the stored equity view of a scope they may see, and their own assessor signal."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from equity import services
from equity.models import CharacteristicCategory
from equity.selectors import (
    assessor_signals_for,
    categories_for,
    characteristic_uses_of,
    characteristics_of,
    equity_fit_for,
)
from equity.suppression import MIN_LEARNERS

USES_LISTED = 50


class OptionSerializer(serializers.Serializer[Any]):
    key = serializers.SlugField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field, not DRF's attribute


class CategorySerializer(serializers.Serializer[Any]):
    key = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    institution = serializers.CharField(source="institution.name")
    options = OptionSerializer(many=True, source="options.all")


class AnswerSerializer(serializers.Serializer[Any]):
    category = serializers.SlugField(source="category.key")
    option = serializers.SerializerMethodField()
    prefer_not_to_say = serializers.BooleanField()
    updated_at = serializers.DateTimeField()

    def get_option(self, obj: Any) -> str | None:
        return obj.option.key if obj.option_id else None


class UseSerializer(serializers.Serializer[Any]):
    category = serializers.SlugField(source="category.key")
    scope = serializers.CharField(help_text="The program or institution analysed.")
    used_at = serializers.DateTimeField()


class CharacteristicsSerializer(serializers.Serializer[Any]):
    categories = CategorySerializer(many=True, help_text="What your institutions ask about.")
    answers = AnswerSerializer(many=True, help_text="Your answers; nobody else can read them.")
    uses = UseSerializer(
        many=True,
        help_text="The latest times your answers were counted in an aggregate (never read "
        "one by one).",
    )


class RecordSerializer(serializers.Serializer[Any]):
    category = serializers.SlugField(max_length=60)
    option = serializers.SlugField(max_length=60, required=False, allow_null=True)
    prefer_not_to_say = serializers.BooleanField(default=False)


def _own(user: User) -> dict[str, Any]:
    return {
        "categories": list(categories_for(learner=user)),
        "answers": list(characteristics_of(owner=user)),
        "uses": list(characteristic_uses_of(owner=user)[:USES_LISTED]),
    }


class CharacteristicListApi(APIView):
    """The caller's own characteristics: read them, or record one."""

    @extend_schema(responses=CharacteristicsSerializer, operation_id="equity_characteristics_list")
    def get(self, request: Request) -> Response:
        return Response(CharacteristicsSerializer(_own(cast(User, request.user))).data)

    @extend_schema(
        request=RecordSerializer,
        responses={200: AnswerSerializer},
        operation_id="equity_characteristics_record",
        description="Record or change your answer in a category your institution configured. "
        "A category it did not configure, or an option the category does not offer, is a 400 "
        "naming the field; nothing is written.",
    )
    def post(self, request: Request) -> Response:
        data = RecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answer = services.characteristic_record(
                learner=cast(User, request.user),
                category_key=data.validated_data["category"],
                option_key=data.validated_data.get("option"),
                prefer_not_to_say=data.validated_data["prefer_not_to_say"],
            )
        except services.CharacteristicError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        return Response(AnswerSerializer(answer).data)


class CharacteristicDeleteApi(APIView):
    """Delete the caller's answer in one category; 404 if they have none there."""

    @extend_schema(responses={204: None}, operation_id="equity_characteristics_delete")
    def delete(self, request: Request, key: str) -> Response:
        if not services.characteristic_delete(learner=cast(User, request.user), category_key=key):
            raise NotFound("You have no answer in that category.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class CellSerializer(serializers.Serializer[Any]):
    measure = serializers.ChoiceField(choices=["rating", "narrative", "consensus", "frequency"])
    competency = serializers.IntegerField(allow_null=True)
    competency_code = serializers.CharField(allow_blank=True)
    training_year = serializers.IntegerField()
    period = serializers.CharField(help_text="Start and end dates, `YYYY-MM-DD/YYYY-MM-DD`.")
    group = serializers.CharField()
    suppressed = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    learners = serializers.IntegerField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    mean = serializers.FloatField(allow_null=True)
    q1 = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    q3 = serializers.FloatField(allow_null=True)


class TermSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    estimate = serializers.FloatField()
    se = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()


class EstimateSerializer(serializers.Serializer[Any]):
    measure = serializers.CharField()
    competency = serializers.IntegerField(allow_null=True)
    competency_code = serializers.CharField(allow_blank=True)
    group = serializers.CharField()
    reference = serializers.CharField()
    estimate = serializers.FloatField(help_text="Group minus reference, adjusted.")
    se = serializers.FloatField(help_text="Standard error clustered by learner.")
    low = serializers.FloatField(help_text="95 % interval, lower end.")
    high = serializers.FloatField(help_text="95 % interval, upper end.")
    n = serializers.IntegerField(help_text="Outcomes in the model.")
    learners = serializers.IntegerField()
    learners_group = serializers.IntegerField()
    learners_reference = serializers.IntegerField()
    terms = TermSerializer(many=True)


class KeyLabelSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field, not DRF's attribute


class EquityViewSerializer(serializers.Serializer[Any]):
    scope = serializers.CharField()
    category = serializers.SlugField(source="category.key")
    computed_at = serializers.DateTimeField(help_text="When the task fitted these numbers.")
    data_through = serializers.DateField()
    min_learners = serializers.SerializerMethodField()
    groups = KeyLabelSerializer(many=True)
    periods = KeyLabelSerializer(many=True)
    cells = CellSerializer(many=True)
    estimates = EstimateSerializer(many=True)

    def get_min_learners(self, obj: Any) -> int:
        return MIN_LEARNERS


class EquityViewApi(APIView):
    """The stored equity view of a program (its directors and coordinators) or of an
    institution (them and administrators). Cells are the same the page shows: a hidden cell
    has `suppressed: true` and no numbers. Nothing is computed on request."""

    @extend_schema(
        parameters=[
            OpenApiParameter("category", OpenApiTypes.STR, required=True),
            OpenApiParameter("program", OpenApiTypes.INT, description="A program id"),
            OpenApiParameter("institution", OpenApiTypes.INT, description="An institution id"),
            OpenApiParameter("competency", OpenApiTypes.INT, description="Only this competency"),
        ],
        responses={
            200: EquityViewSerializer,
            404: OpenApiResponse(description="No fit you may see for that scope and category"),
        },
        operation_id="equity_view",
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        ids: dict[str, int | None] = {}
        for name in ("program", "institution", "competency"):
            raw = query.get(name)
            try:
                ids[name] = int(raw) if raw not in (None, "") else None
            except ValueError as exc:
                raise ValidationError({name: ["A whole number."]}) from exc
        if (ids["program"] is None) == (ids["institution"] is None):
            raise ValidationError({"program": ["Give a program or an institution, not both."]})
        category = query.get("category") or ""
        if not category:
            raise ValidationError({"category": ["Required."]})
        fit = equity_fit_for(
            viewer=cast(User, request.user),
            category_key=category,
            program_id=ids["program"],
            institution_id=ids["institution"],
        )
        if fit is None:
            if not CharacteristicCategory.objects.filter(key=category).exists():
                raise ValidationError(
                    {"category": [f"“{category}” is not a category any institution configured."]}
                )
            raise NotFound()
        competency = ids["competency"]
        cells = [
            c for c in fit.cells if competency is None or c["competency"] in (competency, None)
        ]
        estimates = [
            e for e in fit.estimates if competency is None or e["competency"] in (competency, None)
        ]
        scope = (
            f"program:{fit.program_id}" if fit.program_id else f"institution:{fit.institution_id}"
        )
        payload = {
            "scope": scope,
            "category": fit.category,
            "computed_at": fit.computed_at,
            "data_through": fit.data_through,
            "groups": fit.groups,
            "periods": fit.periods,
            "cells": cells,
            "estimates": estimates,
        }
        return Response(EquityViewSerializer(payload).data)


class SignalRowSerializer(serializers.Serializer[Any]):
    group = serializers.CharField()
    reference = serializers.CharField()
    mine = serializers.FloatField(help_text="Your adjusted gap, group minus reference.")
    colleagues = serializers.FloatField(help_text="Colleagues' adjusted gap.")
    difference = serializers.FloatField(help_text="Yours minus colleagues'.")
    low = serializers.FloatField()
    high = serializers.FloatField()
    beyond = serializers.BooleanField(help_text="The 95 % interval leaves out zero.")
    my_group = serializers.IntegerField()
    my_reference = serializers.IntegerField()


class SignalSerializer(serializers.Serializer[Any]):
    program = serializers.CharField(source="program.name")
    category = serializers.SlugField(source="category.key")
    computed_at = serializers.DateTimeField()
    rows = SignalRowSerializer(many=True)


class AssessorSignalApi(APIView):
    """The caller's own assessor signal; nobody else's."""

    @extend_schema(responses=SignalSerializer(many=True), operation_id="equity_assessor_signal")
    def get(self, request: Request) -> Response:
        signals = assessor_signals_for(assessor=cast(User, request.user))
        return Response(SignalSerializer(signals, many=True).data)

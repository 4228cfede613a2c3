"""API for assessments by others: observation requests, assessments (observations), the
learner's responses, and calibration. Every page action is here too.

Reads come from `assessments.selectors.observations` and `assessments.calibration` (anything
the caller may not see is a 404); writes from `assessments.services.observations`. A service's
ValidationError becomes a 400 with field errors; a request that is no longer open is a 409.
"""

from __future__ import annotations

from typing import Any, cast

import segno
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    AssessmentResponse,
    AssessmentVersion,
    FeedbackRequest,
    ObservationSetting,
    RaterType,
    Rotation,
    ScheduledRotation,
    TeachingEvaluation,
)
from assessments.selectors.feedback import (
    evaluable_by,
    feedback_requests_of,
    feedback_summary_for,
    program_directed_by,
    program_teaching_results,
    teaching_results_for,
)
from assessments.selectors.forms import form_managed_by, forms_visible_to
from assessments.selectors.observations import (
    assessment_visible_to,
    assessments_given,
    assessments_received,
    assessors_for,
    learners_assessable_by,
    request_for_assessor,
    request_visible_to,
    requests_of_learner,
    requests_to_assessor,
)
from assessments.selectors.rotations import (
    block_scheduled_by,
    completion_of,
    program_scheduled_by,
    rotations_of,
    schedule_of,
)
from assessments.selectors.turnaround import turnaround_of
from assessments.services import rotations as rotation_services
from assessments.services.assess_now import (
    AssessNowError,
    assess_now_code_create,
    assess_now_link_request,
    assess_now_redeem,
    code_from_token,
    code_token,
)
from assessments.services.feedback import (
    EvaluationConflictError,
    FeedbackLinkError,
    feedback_request_create,
    feedback_request_from_token,
    feedback_respond,
    feedback_token,
    rotation_evaluation_create,
    teacher_evaluation_create,
)
from assessments.services.forms import (
    FRAMEWORK_SCALE,
    LevelInput,
    assessment_form_create,
    assessment_form_retire,
)
from assessments.services.observations import (
    CASE_TYPE_MAX,
    CORRECTION_WINDOW,
    DECLINE_REASON_MAX,
    NARRATIVE_MAX,
    REASON_MAX,
    REQUEST_NOTE_MAX,
    RESPONSE_MAX,
    ObservationConflictError,
    ObservationResult,
    RatingInput,
    assessment_acknowledge,
    assessment_respond,
    assessment_revise,
    narrative_hints,
    observation_record,
    observation_request_complete,
    observation_request_create,
    observation_request_decline,
)
from core.api import LimitOffset, created_response, cursor
from frameworks.api import CompetencyOfItemSerializer, RatingScaleSerializer
from frameworks.models import Competency, Framework, RatingScale
from programs.models import Program
from programs.selectors import programs_managed_by


def _user(request: Request) -> User:
    return cast(User, request.user)


def _conflict(error: ObservationConflictError) -> Response:
    return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)


# --- Serializers (shape output, validate input; they never write) -----------------------------


class ObservationPersonSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ObservationRequestFrameworkSerializer(serializers.ModelSerializer[Framework]):
    class Meta:
        model = Framework
        fields = ["id", "code", "version", "name", "kind"]


class FormOfRatingSerializer(serializers.ModelSerializer[AssessmentForm]):
    """The form a request or rating is on, in short."""

    class Meta:
        model = AssessmentForm
        fields = ["id", "name", "rates", "scale"]
        extra_kwargs = {"scale": {"help_text": "Empty: each framework's own scale."}}


class ScaleOfRatingSerializer(serializers.ModelSerializer[RatingScale]):
    class Meta:
        model = RatingScale
        fields = ["id", "code", "name", "kind"]


class ObservationRequestSerializer(serializers.ModelSerializer[AssessmentRequest]):
    learner = ObservationPersonSerializer(read_only=True)
    assessor = ObservationPersonSerializer(read_only=True)
    program = serializers.CharField(source="program.name", read_only=True)
    framework = ObservationRequestFrameworkSerializer(read_only=True)
    competencies = CompetencyOfItemSerializer(many=True, read_only=True)
    form = FormOfRatingSerializer(read_only=True)
    due_date = serializers.DateField(
        read_only=True, help_text="`due_on`, or two weeks after the request when none was given."
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentRequest
        fields = [
            "id",
            "learner",
            "assessor",
            "program",
            "framework",
            "competencies",
            "form",
            "setting",
            "case_type",
            "encounter_on",
            "due_on",
            "due_date",
            "overdue",
            "note",
            "status",
            "decline_reason",
            "client_token",
            "created_at",
            "closed_at",
        ]

    def get_overdue(self, obj: AssessmentRequest) -> bool:
        return obj.is_overdue()


class ObservationRequestCreateSerializer(serializers.Serializer[Any]):
    assessor = serializers.IntegerField(
        min_value=1, help_text="Someone from `/observation-assessors/`."
    )
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=20,
        help_text="One EPA, or sub-competencies of one milestone framework.",
    )
    setting = serializers.ChoiceField(
        choices=ObservationSetting.choices, required=False, allow_blank=True, default=""
    )
    case_type = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CASE_TYPE_MAX
    )
    encounter_on = serializers.DateField(required=False, allow_null=True, default=None)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REQUEST_NOTE_MAX
    )
    client_token = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Made once per request; sending it again returns the first request (200).",
    )
    form = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="A form from `/assessment-forms/?program=`; default: the shipped form of "
        "the items' kind, on the framework's own scale.",
    )


class ObservationRatingSerializer(serializers.Serializer[Any]):
    competency = serializers.IntegerField(min_value=1)
    level = serializers.CharField(
        max_length=10,
        help_text="A value of the form's scale (the framework's own unless the form names "
        "another), e.g. `3` or `2.5`; Chen sub-levels as tenths (`3.2` is 3b).",
    )


class ObservationFieldsSerializer(serializers.Serializer[Any]):
    ratings = serializers.ListField(
        child=ObservationRatingSerializer(), allow_empty=False, max_length=20
    )
    went_well = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NARRATIVE_MAX
    )
    next_step = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NARRATIVE_MAX
    )
    observed_on = serializers.DateField(required=False, allow_null=True, default=None)
    submission_key = serializers.UUIDField(
        help_text="Made once per submission; sending it again returns the first record (200)."
    )
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=NARRATIVE_MAX),
        required=False,
        default=dict,
        help_text="Answers to the form's optional prompts, keyed by the prompt's text.",
    )


class ObservationCreateSerializer(ObservationFieldsSerializer):
    learner = serializers.IntegerField(
        min_value=1, help_text="Someone from `/observation-learners/`."
    )
    setting = serializers.ChoiceField(
        choices=ObservationSetting.choices, required=False, allow_blank=True, default=""
    )
    case_type = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CASE_TYPE_MAX
    )
    form = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="A form offered in the learner's program; default: the shipped one.",
    )


class ObservationDeclineSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=DECLINE_REASON_MAX)


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    learner = ObservationPersonSerializer(read_only=True)
    assessor = ObservationPersonSerializer(read_only=True, allow_null=True)
    competency = CompetencyOfItemSerializer(read_only=True)
    form = FormOfRatingSerializer(read_only=True)
    scale = ScaleOfRatingSerializer(read_only=True)
    counted_level = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="What milestone summaries, the heatmap and flags count: `level` on the "
        "framework's own scale, the form's mapped milestone level on a mapped scale, null "
        "(left out) on any other scale.",
    )
    correctable_until = serializers.SerializerMethodField(
        help_text="Until then its author may correct it; after, only amend it with a reason."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "learner",
            "assessor",
            "competency",
            "form",
            "scale",
            "level",
            "counted_level",
            "went_well",
            "next_step",
            "answers",
            "context",
            "observed_on",
            "source",
            "request",
            "version",
            "created_at",
            "updated_at",
            "acknowledged_at",
            "correctable_until",
        ]

    def get_correctable_until(self, obj: Assessment) -> Any:
        return serializers.DateTimeField().to_representation(obj.created_at + CORRECTION_WINDOW)


class AssessmentVersionSerializer(serializers.ModelSerializer[AssessmentVersion]):
    recorded_by = ObservationPersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = AssessmentVersion
        fields = [
            "version",
            "kind",
            "level",
            "went_well",
            "next_step",
            "context",
            "observed_on",
            "reason",
            "recorded_by",
            "recorded_at",
        ]


class AssessmentResponseSerializer(serializers.ModelSerializer[AssessmentResponse]):
    class Meta:
        model = AssessmentResponse
        fields = ["id", "assessment", "text", "client_token", "created_at"]


class AssessmentDetailSerializer(AssessmentSerializer):
    versions = AssessmentVersionSerializer(many=True, read_only=True)
    responses = AssessmentResponseSerializer(many=True, read_only=True)

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "versions", "responses"]


class ObservationResultSerializer(serializers.Serializer[Any]):
    assessments = AssessmentSerializer(many=True)
    hints = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Gentle prompts per narrative field against empty or generic feedback. "
        "Advice only: the record is saved either way.",
    )


class AssessmentReviseSerializer(serializers.Serializer[Any]):
    level = serializers.CharField(required=False, max_length=10)
    went_well = serializers.CharField(required=False, allow_blank=True, max_length=NARRATIVE_MAX)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=NARRATIVE_MAX)
    observed_on = serializers.DateField(required=False)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REASON_MAX,
        help_text="Required more than 24 hours after the first submission (an amendment).",
    )


class AssessmentResponseCreateSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=RESPONSE_MAX)
    client_token = serializers.UUIDField(required=False, allow_null=True, default=None)


class CompetencyCalibrationSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    title = serializers.CharField()
    n = serializers.IntegerField(help_text="Pairs behind the numbers.")
    self_mean = serializers.FloatField()
    assessor_mean = serializers.FloatField()
    difference = serializers.FloatField(help_text="Mean of self − assessor: above 0 higher.")
    over = serializers.IntegerField()
    under = serializers.IntegerField()
    same = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=["over", "under", "close"])
    first_on = serializers.DateField()
    last_on = serializers.DateField()


class PeriodCalibrationSerializer(serializers.Serializer[Any]):
    quarter = serializers.CharField(source="label", help_text="For example `2025 Q3`.")
    start = serializers.DateField()
    n = serializers.IntegerField()
    difference = serializers.FloatField()


class FrameworkCalibrationSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    version = serializers.CharField()
    n = serializers.IntegerField()
    difference = serializers.FloatField()
    competencies = CompetencyCalibrationSerializer(many=True)
    periods = PeriodCalibrationSerializer(many=True)


class CalibrationSerializer(serializers.Serializer[Any]):
    learner = ObservationPersonSerializer()
    window_days = serializers.IntegerField()
    n = serializers.IntegerField()
    self_count = serializers.IntegerField()
    assessor_count = serializers.IntegerField()
    unpaired = serializers.IntegerField()
    frameworks = FrameworkCalibrationSerializer(many=True)


def _result(result: ObservationResult) -> Response:
    first = result.assessments[0]
    payload = {
        "assessments": AssessmentSerializer(result.assessments, many=True).data,
        "hints": narrative_hints(went_well=first.went_well, next_step=first.next_step),
    }
    return Response(payload, status=status.HTTP_201_CREATED if result.created else 200)


def _ratings(data: dict[str, Any]) -> list[RatingInput]:
    return [RatingInput(r["competency"], r["level"]) for r in data["ratings"]]


ROLE_PARAM = OpenApiParameter(
    "role",
    str,
    enum=["learner", "assessor"],
    description="`learner` (default): about me; `assessor`: addressed to me / written by me.",
)


# --- Requests -----------------------------------------------------------------------------------


class TurnaroundSerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField(help_text="The window: requests received in these days.")
    since = serializers.DateField()
    received = serializers.IntegerField()
    completed = serializers.IntegerField()
    completed_on_time = serializers.IntegerField(
        help_text="Completed by the due date (14 days after the request when it set none)."
    )
    declined = serializers.IntegerField()
    expired = serializers.IntegerField(help_text="Still open, past the due date.")
    waiting = serializers.IntegerField(help_text="Still open, not yet due.")
    completion_rate = serializers.IntegerField(
        allow_null=True,
        help_text="Percent completed of completed, declined and expired; null before any.",
    )
    median_days = serializers.FloatField(
        allow_null=True, help_text="Median days from request to completion."
    )
    fastest_days = serializers.FloatField(allow_null=True)
    slowest_days = serializers.FloatField(allow_null=True)


class ObservationTurnaroundApi(APIView):
    """The caller's own completion and turnaround as an assessor: the last 90 days and the
    last 365, newest window first. Every signed-in person may ask (zeros without requests)."""

    @extend_schema(
        responses=TurnaroundSerializer(many=True), operation_id="observation_request_turnaround"
    )
    def get(self, request: Request) -> Response:
        rows = turnaround_of(assessor=_user(request))
        return Response(TurnaroundSerializer(rows, many=True).data)


class ObservationRequestListApi(APIView):
    """Observation requests: the caller's own (as learner) or addressed to them (as assessor),
    newest first; ask for a new observation."""

    pagination_class = cursor(("-created_at", "-id"), page_size=50)

    @extend_schema(
        parameters=[
            ROLE_PARAM,
            OpenApiParameter("status", str, enum=AssessmentRequest.Status.values),
        ],
        responses=ObservationRequestSerializer(many=True),
        operation_id="observation_request_list",
    )
    def get(self, request: Request) -> Response:
        viewer = _user(request)
        rows: QuerySet[AssessmentRequest]
        if request.query_params.get("role") == "assessor":
            rows = requests_to_assessor(assessor=viewer)
        else:
            rows = requests_of_learner(learner=viewer)
        wanted = request.query_params.get("status")
        if wanted in AssessmentRequest.Status.values:
            rows = rows.filter(status=wanted)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(ObservationRequestSerializer(page, many=True).data)

    @extend_schema(
        request=ObservationRequestCreateSerializer,
        responses={
            201: ObservationRequestSerializer,
            200: OpenApiResponse(ObservationRequestSerializer, description="Same client token"),
            400: OpenApiResponse(description="Field errors; nothing was written"),
        },
        operation_id="observation_request_create",
    )
    def post(self, request: Request) -> Response:
        serializer = ObservationRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        learner = _user(request)
        made, created = observation_request_create(
            learner=learner,
            assessor_id=data["assessor"],
            competency_ids=data["competencies"],
            setting=data["setting"],
            case_type=data["case_type"],
            encounter_on=data["encounter_on"],
            due_on=data["due_on"],
            note=data["note"],
            client_token=data["client_token"],
            form_id=data["form"],
        )
        shown = request_visible_to(viewer=learner, pk=made.pk)
        return created_response(ObservationRequestSerializer(shown).data, created=created)


class ObservationRequestDetailApi(APIView):
    """One request, for its learner or its assessor."""

    @extend_schema(responses=ObservationRequestSerializer, operation_id="observation_request_get")
    def get(self, request: Request, pk: int) -> Response:
        item = request_visible_to(viewer=_user(request), pk=pk)
        if item is None:
            raise Http404
        return Response(ObservationRequestSerializer(item).data)


class ObservationRequestCompleteApi(APIView):
    """The assessor answers a request: one assessment per rated item; the learner is told."""

    @extend_schema(
        request=ObservationFieldsSerializer,
        responses={
            201: ObservationResultSerializer,
            200: OpenApiResponse(ObservationResultSerializer, description="Same submission key"),
            400: OpenApiResponse(description="Field errors; nothing was written"),
            409: OpenApiResponse(description="The request is already completed or declined"),
        },
        operation_id="observation_request_complete",
    )
    def post(self, request: Request, pk: int) -> Response:
        assessor = _user(request)
        item = request_for_assessor(assessor=assessor, pk=pk)
        if item is None:
            raise Http404
        serializer = ObservationFieldsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            result = observation_request_complete(
                request=item,
                assessor=assessor,
                ratings=_ratings(data),
                went_well=data["went_well"],
                next_step=data["next_step"],
                observed_on=data["observed_on"],
                submission_key=data["submission_key"],
                answers=data["answers"],
            )
        except ObservationConflictError as error:
            return _conflict(error)
        return _result(result)


class ObservationRequestDeclineApi(APIView):
    """The assessor declines a request with a reason the learner sees."""

    @extend_schema(
        request=ObservationDeclineSerializer,
        responses={
            200: ObservationRequestSerializer,
            409: OpenApiResponse(description="The request is already completed or declined"),
        },
        operation_id="observation_request_decline",
    )
    def post(self, request: Request, pk: int) -> Response:
        assessor = _user(request)
        item = request_for_assessor(assessor=assessor, pk=pk)
        if item is None:
            raise Http404
        serializer = ObservationDeclineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            observation_request_decline(
                request=item, assessor=assessor, reason=serializer.validated_data["reason"]
            )
        except ObservationConflictError as error:
            return _conflict(error)
        return Response(
            ObservationRequestSerializer(request_visible_to(viewer=assessor, pk=pk)).data
        )


class ObservationAssessorListApi(APIView):
    """People the caller may ask for an observation (assessors of their current programs)."""

    pagination_class = LimitOffset

    @extend_schema(
        responses=ObservationPersonSerializer(many=True), operation_id="observation_assessor_list"
    )
    def get(self, request: Request) -> Response:
        people = assessors_for(learner=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(people, request, view=self)
        return paginator.get_paginated_response(
            ObservationPersonSerializer(cast(Any, page), many=True).data
        )


class ObservationLearnerListApi(APIView):
    """Learners the caller may observe unasked (current learners of programs they assess)."""

    pagination_class = LimitOffset

    @extend_schema(
        responses=ObservationPersonSerializer(many=True), operation_id="observation_learner_list"
    )
    def get(self, request: Request) -> Response:
        people = learners_assessable_by(assessor=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(people, request, view=self)
        return paginator.get_paginated_response(
            ObservationPersonSerializer(cast(Any, page), many=True).data
        )


# --- Assessments --------------------------------------------------------------------------------


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    try:
        return int(raw) if raw else None
    except ValueError:
        raise serializers.ValidationError({name: ["Send a whole number."]}) from None


def _date_param(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return serializers.DateField().to_internal_value(raw)
    except serializers.ValidationError:
        raise serializers.ValidationError({name: ["Send a date as YYYY-MM-DD."]}) from None


class AssessmentListApi(APIView):
    """Assessments of the caller (default) or written by them (`role=assessor`), newest
    observation first; record an observation nobody asked for."""

    pagination_class = cursor(("-observed_on", "-created_at", "-id"), page_size=50)

    @extend_schema(
        parameters=[
            ROLE_PARAM,
            OpenApiParameter("competency", int, description="Only this competency."),
            OpenApiParameter("assessor", int, description="Only by this assessor."),
            OpenApiParameter("since", str, description="Observed on or after (YYYY-MM-DD)."),
            OpenApiParameter("until", str, description="Observed on or before (YYYY-MM-DD)."),
        ],
        responses=AssessmentSerializer(many=True),
        operation_id="assessment_list",
    )
    def get(self, request: Request) -> Response:
        viewer = _user(request)
        rows: QuerySet[Assessment]
        competency = _int_param(request, "competency")
        if request.query_params.get("role") == "assessor":
            rows = assessments_given(assessor=viewer)
            if competency is not None:
                rows = rows.filter(competency_id=competency)
        else:
            rows = assessments_received(
                learner=viewer,
                competency_id=competency,
                assessor_id=_int_param(request, "assessor"),
                since=_date_param(request, "since"),
                until=_date_param(request, "until"),
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(AssessmentSerializer(page, many=True).data)

    @extend_schema(
        request=ObservationCreateSerializer,
        responses={
            201: ObservationResultSerializer,
            200: OpenApiResponse(ObservationResultSerializer, description="Same submission key"),
            400: OpenApiResponse(description="Field errors; nothing was written"),
        },
        operation_id="assessment_create",
    )
    def post(self, request: Request) -> Response:
        serializer = ObservationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = observation_record(
            assessor=_user(request),
            learner_id=data["learner"],
            ratings=_ratings(data),
            went_well=data["went_well"],
            next_step=data["next_step"],
            setting=data["setting"],
            case_type=data["case_type"],
            observed_on=data["observed_on"],
            submission_key=data["submission_key"],
            form_id=data["form"],
            answers=data["answers"],
        )
        return _result(result)


class AssessmentDetailApi(APIView):
    """One assessment with every version and the learner's responses; its author changes it
    (a correction within 24 hours, an amendment with a reason after)."""

    @extend_schema(responses=AssessmentDetailSerializer, operation_id="assessment_get")
    def get(self, request: Request, pk: int) -> Response:
        item = assessment_visible_to(viewer=_user(request), pk=pk)
        if item is None:
            raise Http404
        return Response(AssessmentDetailSerializer(item).data)

    @extend_schema(
        request=AssessmentReviseSerializer,
        responses={
            200: AssessmentDetailSerializer,
            400: OpenApiResponse(description="Field errors (e.g. a reason is needed)"),
            403: OpenApiResponse(description="You can see it but did not write it"),
            409: OpenApiResponse(description="Changed by someone else meanwhile"),
        },
        operation_id="assessment_revise",
    )
    def patch(self, request: Request, pk: int) -> Response:
        viewer = _user(request)
        item = assessment_visible_to(viewer=viewer, pk=pk)
        if item is None:
            raise Http404
        if item.assessor_id != viewer.pk:
            raise ApiPermissionDenied("Only its author may change an assessment.")
        serializer = AssessmentReviseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            assessment_revise(
                assessment=item,
                author=viewer,
                level=data.get("level"),
                went_well=data.get("went_well"),
                next_step=data.get("next_step"),
                observed_on=data.get("observed_on"),
                reason=data["reason"],
            )
        except ObservationConflictError as error:
            return _conflict(error)
        return Response(
            AssessmentDetailSerializer(assessment_visible_to(viewer=viewer, pk=pk)).data
        )


class AssessmentAcknowledgeApi(APIView):
    """The learner marks an assessment of them as read (again: no change)."""

    @extend_schema(
        request=None, responses=AssessmentSerializer, operation_id="assessment_acknowledge"
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _user(request)
        item = assessment_visible_to(viewer=viewer, pk=pk)
        if item is None:
            raise Http404
        if item.learner_id != viewer.pk:
            raise ApiPermissionDenied("Only the learner acknowledges an assessment.")
        assessment_acknowledge(assessment=item, learner=viewer)
        return Response(AssessmentSerializer(item).data)


class AssessmentResponseListApi(APIView):
    """The learner's responses to an assessment, oldest first; the learner adds one."""

    pagination_class = None

    @extend_schema(
        responses=AssessmentResponseSerializer(many=True), operation_id="assessment_response_list"
    )
    def get(self, request: Request, pk: int) -> Response:
        item = assessment_visible_to(viewer=_user(request), pk=pk)
        if item is None:
            raise Http404
        return Response(AssessmentResponseSerializer(item.responses.all(), many=True).data)

    @extend_schema(
        request=AssessmentResponseCreateSerializer,
        responses={
            201: AssessmentResponseSerializer,
            200: OpenApiResponse(AssessmentResponseSerializer, description="Same client token"),
            403: OpenApiResponse(description="Only the learner responds"),
        },
        operation_id="assessment_response_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _user(request)
        item = assessment_visible_to(viewer=viewer, pk=pk)
        if item is None:
            raise Http404
        if item.learner_id != viewer.pk:
            raise ApiPermissionDenied("Only the learner responds to an assessment of them.")
        serializer = AssessmentResponseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        response, created = assessment_respond(
            assessment=item,
            learner=viewer,
            text=serializer.validated_data["text"],
            client_token=serializer.validated_data["client_token"],
        )
        return created_response(AssessmentResponseSerializer(response).data, created=created)


# --- Forms -----------------------------------------------------------------------------------


class AssessmentFormSerializer(serializers.ModelSerializer[AssessmentForm]):
    scale = RatingScaleSerializer(
        read_only=True, allow_null=True, help_text="Empty: each framework's own scale."
    )
    competencies: serializers.PrimaryKeyRelatedField[Competency] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )
    shipped = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentForm
        fields = [
            "id",
            "program",
            "name",
            "rates",
            "scale",
            "competencies",
            "went_well_prompt",
            "next_step_prompt",
            "optional_prompts",
            "milestone_mapping",
            "is_active",
            "shipped",
        ]

    def get_shipped(self, obj: AssessmentForm) -> bool:
        return obj.program_id is None


class ScaleLevelInputSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(max_length=10)
    # A field named like Serializer's own `label` attribute; DRF collects it as a field.
    label = serializers.CharField(max_length=120)  # type: ignore[assignment]
    anchor = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")


class AssessmentFormCreateSerializer(serializers.Serializer[Any]):
    program = serializers.IntegerField(min_value=1, help_text="A program you direct or coordinate.")
    name = serializers.CharField(max_length=120)
    rates = serializers.ChoiceField(choices=AssessmentForm.Rates.choices)
    scale = serializers.CharField(
        max_length=60,
        required=False,
        default=FRAMEWORK_SCALE,
        help_text="`framework` (each framework's own), a shipped scale's code (`o-score`, "
        "`chen-entrustment`, `zwisch`) or `custom` with `levels`.",
    )
    scale_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    levels = serializers.ListField(
        child=ScaleLevelInputSerializer(), required=False, default=list, max_length=20
    )
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=200
    )
    went_well_prompt = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    next_step_prompt = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    optional_prompts = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=10
    )
    milestone_mapping = serializers.DictField(
        child=serializers.CharField(max_length=10),
        required=False,
        default=dict,
        help_text="Scale value → milestone level, for every level of the scale, or none.",
    )


class AssessmentFormListApi(APIView):
    """Forms the caller may meet: the shipped ones and their programs' own; a program's
    directors and coordinators build new ones."""

    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("program", int, description="Only forms offered there.")],
        responses=AssessmentFormSerializer(many=True),
        operation_id="assessment_form_list",
    )
    def get(self, request: Request) -> Response:
        rows = forms_visible_to(user=_user(request))
        program = _int_param(request, "program")
        if program is not None:
            rows = rows.filter(Q(program__isnull=True) | Q(program_id=program, is_active=True))
        return Response(AssessmentFormSerializer(rows, many=True).data)

    @extend_schema(
        request=AssessmentFormCreateSerializer,
        responses={
            201: AssessmentFormSerializer,
            400: OpenApiResponse(description="Field errors; nothing was written"),
            404: OpenApiResponse(description="Not a program you direct or coordinate"),
        },
        operation_id="assessment_form_create",
    )
    def post(self, request: Request) -> Response:
        serializer = AssessmentFormCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        program = programs_managed_by(user=_user(request)).filter(pk=data["program"]).first()
        if program is None:
            raise Http404
        made = assessment_form_create(
            program=program,
            by=_user(request),
            name=data["name"],
            rates=data["rates"],
            scale=data["scale"],
            scale_name=data["scale_name"],
            levels=[
                LevelInput(row["value"], row["label"], row["anchor"]) for row in data["levels"]
            ],
            competency_ids=data["competencies"],
            went_well_prompt=data["went_well_prompt"],
            next_step_prompt=data["next_step_prompt"],
            optional_prompts=data["optional_prompts"],
            milestone_mapping=data["milestone_mapping"],
        )
        shown = forms_visible_to(user=_user(request)).get(pk=made.pk)
        return Response(AssessmentFormSerializer(shown).data, status=status.HTTP_201_CREATED)


class AssessmentFormDetailApi(APIView):
    """One form with its scale's levels and anchors."""

    @extend_schema(responses=AssessmentFormSerializer, operation_id="assessment_form_get")
    def get(self, request: Request, pk: int) -> Response:
        item = forms_visible_to(user=_user(request)).filter(pk=pk).first()
        if item is None:
            raise Http404
        return Response(AssessmentFormSerializer(item).data)


class AssessmentFormRetireApi(APIView):
    """Stop offering a program's form for new observations; what was recorded on it stays."""

    @extend_schema(
        request=None, responses=AssessmentFormSerializer, operation_id="assessment_form_retire"
    )
    def post(self, request: Request, pk: int) -> Response:
        item = form_managed_by(user=_user(request), pk=pk)
        if item is None or item.program_id is None:
            raise Http404
        retired = assessment_form_retire(form=item)
        return Response(AssessmentFormSerializer(retired).data)


# --- Rotation schedules and end-of-rotation evaluations ---------------------------------------
# For the program's directors and coordinators (and admins); anyone else gets 404.


def _scheduled_program(request: Request, program_id: int) -> Program:
    program = program_scheduled_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    return program


class RotationSerializer(serializers.ModelSerializer[Rotation]):
    form = FormOfRatingSerializer(read_only=True)
    competencies: serializers.SlugRelatedField[Competency] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Rotation
        fields = ["id", "name", "form", "framework", "competencies", "due_days"]


class RotationCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    competencies = serializers.ListField(child=serializers.IntegerField(), max_length=6)
    form = serializers.IntegerField(required=False, allow_null=True, default=None)
    due_days = serializers.IntegerField(min_value=1, max_value=90, default=14)


class ScheduledRotationSerializer(serializers.ModelSerializer[ScheduledRotation]):
    learner = ObservationPersonSerializer(read_only=True)
    supervisor = ObservationPersonSerializer(read_only=True)
    rotation = serializers.CharField(source="rotation.name", read_only=True)
    evaluation_status = serializers.SerializerMethodField()

    class Meta:
        model = ScheduledRotation
        fields = [
            "id",
            "learner",
            "rotation",
            "site",
            "start_on",
            "end_on",
            "supervisor",
            "evaluation_state",
            "evaluation",
            "evaluation_status",
        ]

    def get_evaluation_status(self, block: ScheduledRotation) -> str | None:
        return block.evaluation.status if block.evaluation is not None else None


class ScheduledRotationCreateSerializer(serializers.Serializer[Any]):
    learner = serializers.EmailField(help_text="The learner's email.")
    rotation = serializers.CharField(max_length=120, help_text="A rotation's name.")
    site = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    start = serializers.DateField()
    end = serializers.DateField()
    supervising_faculty = serializers.EmailField(help_text="The supervisor's email.")


class ScheduleErrorSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


ScheduleFailureSerializer = inline_serializer(
    "ScheduleImportFailure",
    {
        "detail": serializers.CharField(),
        "errors": ScheduleErrorSerializer(many=True, required=False),
    },
)
ScheduleImportedSerializer = inline_serializer(
    "ScheduleImported", {"imported": serializers.IntegerField()}
)


class ScheduleUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class CompletionRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="key")
    name = serializers.CharField(source="label", help_text="The faculty member or rotation.")
    requested = serializers.IntegerField()
    completed = serializers.IntegerField()
    waiting = serializers.IntegerField()
    overdue = serializers.IntegerField()


class WaitingEvaluationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="block_id", help_text="The block (for the nudge).")
    evaluation = serializers.IntegerField(source="request_id", help_text="The request.")
    supervisor = serializers.CharField()
    learner = serializers.CharField()
    rotation = serializers.CharField()
    due_on = serializers.DateField()
    last_reminded_on = serializers.DateField(allow_null=True)
    overdue = serializers.BooleanField()


class CompletionSerializer(serializers.Serializer[Any]):
    today = serializers.DateField(help_text="The program's institution's date.")
    by_faculty = CompletionRowSerializer(many=True)
    by_rotation = CompletionRowSerializer(many=True)
    waiting = WaitingEvaluationSerializer(many=True, help_text="Overdue first; at most 50.")
    waiting_total = serializers.IntegerField()


class RotationListApi(APIView):
    """The program's rotations; define one (the items and form its evaluation uses)."""

    @extend_schema(responses=RotationSerializer(many=True), operation_id="rotation_list")
    def get(self, request: Request, program_id: int) -> Response:
        program = _scheduled_program(request, program_id)
        return Response(RotationSerializer(rotations_of(program=program), many=True).data)

    @extend_schema(
        request=RotationCreateSerializer,
        responses={201: RotationSerializer, 400: OpenApiResponse(description="Field errors")},
        operation_id="rotation_create",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _scheduled_program(request, program_id)
        data = RotationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        rotation = rotation_services.rotation_create(
            program=program,
            name=values["name"],
            competency_ids=values["competencies"],
            form_id=values["form"],
            due_days=values["due_days"],
        )
        return Response(RotationSerializer(rotation).data, status=status.HTTP_201_CREATED)


class RotationScheduleApi(APIView):
    """The program's block schedule, earliest first (paginated); add one block."""

    pagination_class = LimitOffset

    @extend_schema(
        responses=ScheduledRotationSerializer(many=True), operation_id="rotation_schedule_list"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _scheduled_program(request, program_id)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(schedule_of(program=program), request, view=self)
        return paginator.get_paginated_response(ScheduledRotationSerializer(page, many=True).data)

    @extend_schema(
        request=ScheduledRotationCreateSerializer,
        responses={
            201: ScheduledRotationSerializer,
            400: OpenApiResponse(description="Field errors (unknown learner, overlap, …)"),
        },
        operation_id="rotation_schedule_add",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _scheduled_program(request, program_id)
        data = ScheduledRotationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        block = rotation_services.scheduled_rotation_add(
            program=program,
            learner_email=values["learner"],
            rotation_name=values["rotation"],
            site=values["site"],
            start_on=values["start"],
            end_on=values["end"],
            supervisor_email=values["supervising_faculty"],
        )
        return Response(ScheduledRotationSerializer(block).data, status=status.HTTP_201_CREATED)


class RotationBlockApi(APIView):
    """Change or delete one block of the program's schedule while its end-of-rotation
    evaluation has not been asked for (a 409 after)."""

    def _block(self, request: Request, program_id: int, pk: int) -> ScheduledRotation:
        block = block_scheduled_by(user=_user(request), pk=pk)
        if block is None or block.rotation.program_id != program_id:
            raise Http404
        return block

    @extend_schema(
        request=ScheduledRotationCreateSerializer,
        responses={
            200: ScheduledRotationSerializer,
            400: OpenApiResponse(description="Field errors (unknown learner, overlap, …)"),
            409: OpenApiResponse(description="The block's evaluation was already asked for"),
        },
        operation_id="rotation_schedule_update",
    )
    def put(self, request: Request, program_id: int, pk: int) -> Response:
        block = self._block(request, program_id, pk)
        data = ScheduledRotationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            block = rotation_services.scheduled_rotation_update(
                block=block,
                learner_email=values["learner"],
                rotation_name=values["rotation"],
                site=values["site"],
                start_on=values["start"],
                end_on=values["end"],
                supervisor_email=values["supervising_faculty"],
            )
        except rotation_services.BlockLockedError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        block = self._block(request, program_id, pk)
        return Response(ScheduledRotationSerializer(block).data)

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(description="The block's evaluation was already asked for"),
        },
        operation_id="rotation_schedule_delete",
    )
    def delete(self, request: Request, program_id: int, pk: int) -> Response:
        try:
            rotation_services.scheduled_rotation_delete(block=self._block(request, program_id, pk))
        except rotation_services.BlockLockedError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RotationScheduleImportApi(APIView):
    """Import a block schedule CSV (multipart field `file`). All rows or none; 400 lists every
    problem with its line and column."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ScheduleUploadSerializer},
        responses={
            201: ScheduleImportedSerializer,
            400: ScheduleFailureSerializer,
            413: OpenApiResponse(description="Larger than 2 MB"),
        },
        operation_id="rotation_schedule_import",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _scheduled_program(request, program_id)
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"detail": "Send the CSV as a multipart field named 'file'.", "errors": []},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if upload.size is not None and upload.size > rotation_services.SCHEDULE_MAX_BYTES:
            return Response(
                {"detail": "The file is larger than 2 MB."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            created = rotation_services.schedule_import(program=program, chunks=upload.chunks())
        except rotation_services.ScheduleImportError as error:
            return Response(
                {
                    "detail": f"Nothing was imported: {len(error.errors)} problem(s).",
                    "errors": [
                        {"line": e.line, "column": e.column, "message": e.message}
                        for e in error.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"imported": len(created)}, status=status.HTTP_201_CREATED)


class RotationCompletionApi(APIView):
    """End-of-rotation evaluations of the program: by faculty, by rotation, and the ones
    waiting (overdue first)."""

    @extend_schema(responses=CompletionSerializer, operation_id="rotation_completion")
    def get(self, request: Request, program_id: int) -> Response:
        program = _scheduled_program(request, program_id)
        today = program.institution.local_today()
        completion = completion_of(program=program, today=today)
        data = CompletionSerializer(
            {
                "today": today,
                "by_faculty": completion.by_faculty,
                "by_rotation": completion.by_rotation,
                "waiting": completion.waiting,
                "waiting_total": completion.waiting_total,
            }
        ).data
        return Response(data)


class RotationNudgeApi(APIView):
    """Remind a block's supervisor of its open evaluation now (at most once a day)."""

    @extend_schema(
        request=None,
        responses={
            200: ObservationRequestSerializer,
            409: OpenApiResponse(description="Answered already, or reminded today"),
        },
        operation_id="rotation_evaluation_nudge",
    )
    def post(self, request: Request, pk: int) -> Response:
        block = block_scheduled_by(user=_user(request), pk=pk)
        if block is None:
            raise Http404
        try:
            evaluation = rotation_services.rotation_evaluation_nudge(block=block, by=_user(request))
        except rotation_services.NudgeRefusedError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(ObservationRequestSerializer(evaluation).data)


# --- Assess me now ----------------------------------------------------------------------------


def _gone(error: AssessNowError | FeedbackLinkError) -> Response:
    """A used code or link is a 409, an expired one a 410, a made-up one a 404."""
    code = {"used": status.HTTP_409_CONFLICT, "expired": status.HTTP_410_GONE}.get(
        error.kind, status.HTTP_404_NOT_FOUND
    )
    return Response({"detail": str(error)}, status=code)


class AssessNowCreateSerializer(serializers.Serializer[Any]):
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=20,
        help_text="One EPA, or sub-competencies of one milestone framework.",
    )
    setting = serializers.ChoiceField(
        choices=ObservationSetting.choices, required=False, allow_blank=True, default=""
    )
    case_type = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CASE_TYPE_MAX
    )
    form = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    client_token = serializers.UUIDField(required=False, allow_null=True, default=None)


class AssessNowCodeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="What the QR code carries: the assessor opens it.")
    code = serializers.CharField(help_text="The code alone, for `/assess-now/redeem/`.")
    qr_svg = serializers.CharField(help_text="The QR code of `url`, as an SVG document.")
    expires_at = serializers.DateTimeField()
    program = serializers.IntegerField()
    form = serializers.IntegerField()
    competencies = serializers.ListField(child=serializers.IntegerField())


class AssessNowRedeemSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=200, help_text="The code from the QR code's URL.")


class AssessNowLinkRequestSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)


class DetailSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class AssessNowCreateApi(APIView):
    """The learner makes an "assess me now" code: it expires in `ASSESS_NOW_CODE_MINUTES`
    (default 10) and works once."""

    @extend_schema(
        request=AssessNowCreateSerializer,
        responses={
            201: AssessNowCodeSerializer,
            200: OpenApiResponse(AssessNowCodeSerializer, description="Same client token"),
        },
        operation_id="assess_now_create",
    )
    def post(self, request: Request) -> Response:
        serializer = AssessNowCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        code, created = assess_now_code_create(
            learner=_user(request),
            competency_ids=data["competencies"],
            setting=data["setting"],
            case_type=data["case_type"],
            form_id=data["form"],
            client_token=data["client_token"],
        )
        token = code_token(code)
        url = request.build_absolute_uri(reverse("assess-now-scan", args=[token]))
        body = {
            "id": code.pk,
            "url": url,
            "code": token,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=4, title="QR code"),
            "expires_at": code.expires_at,
            "program": code.program_id,
            "form": code.form_id,
            "competencies": sorted(c.pk for c in code.competencies.all()),
        }
        return created_response(AssessNowCodeSerializer(body).data, created=created)


class AssessNowRedeemApi(APIView):
    """An assessor of the learner's program redeems a code: an observation request to them,
    ready to complete with `/observation-requests/<id>/complete/`. Works once."""

    @extend_schema(
        request=AssessNowRedeemSerializer,
        responses={
            201: ObservationRequestSerializer,
            403: OpenApiResponse(description="Not faculty of the learner's program"),
            404: OpenApiResponse(description="Not a valid code"),
            409: OpenApiResponse(description="The code has been used"),
            410: OpenApiResponse(description="The code has expired"),
        },
        operation_id="assess_now_redeem",
    )
    def post(self, request: Request) -> Response:
        serializer = AssessNowRedeemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            code = code_from_token(serializer.validated_data["code"])
            made = assess_now_redeem(code=code, assessor=_user(request))
        except AssessNowError as error:
            return _gone(error)
        except DjangoValidationError as error:
            raise ApiPermissionDenied(" ".join(error.messages)) from error
        shown = request_visible_to(viewer=_user(request), pk=made.pk)
        return Response(ObservationRequestSerializer(shown).data, status=status.HTTP_201_CREATED)


class AssessNowLinkRequestApi(APIView):
    """Ask for a one-time sign-in link for a code. Anyone may ask; the link goes only to an
    address on the faculty list of the code's program, and the answer never says whether
    it went."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=AssessNowLinkRequestSerializer,
        responses={
            202: DetailSerializer,
            404: OpenApiResponse(description="Not a valid code"),
            409: OpenApiResponse(description="The code has been used"),
            410: OpenApiResponse(description="The code has expired"),
        },
        operation_id="assess_now_sign_in_link_create",
    )
    def post(self, request: Request) -> Response:
        serializer = AssessNowLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            code = code_from_token(serializer.validated_data["code"])
            assess_now_link_request(code=code, email=serializer.validated_data["email"])
        except AssessNowError as error:
            return _gone(error)
        return Response(
            {
                "detail": "If that address is on the program's faculty list, a one-time "
                "sign-in link is on its way."
            },
            status=status.HTTP_202_ACCEPTED,
        )


# --- Multi-source feedback --------------------------------------------------------------------


class FeedbackRequestSerializer(serializers.ModelSerializer[FeedbackRequest]):
    url = serializers.SerializerMethodField(help_text="The one-time link (while it is open).")
    status = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackRequest
        fields = [
            "id",
            "learner",
            "program",
            "rater_type",
            "anonymous",
            "rater_name",
            "rater_email",
            "created_at",
            "expires_at",
            "status",
            "url",
        ]

    def get_status(self, obj: FeedbackRequest) -> str:
        if obj.responded_at is not None:
            return "answered"
        return "closed" if timezone.now() >= obj.expires_at else "open"

    def get_url(self, obj: FeedbackRequest) -> str:
        if obj.responded_at is not None or timezone.now() >= obj.expires_at:
            return ""
        path = reverse("feedback-respond", args=[feedback_token(obj)])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class FeedbackRequestCreateSerializer(serializers.Serializer[Any]):
    rater_type = serializers.ChoiceField(choices=RaterType.choices)
    anonymous = serializers.BooleanField(required=False, default=True)
    rater_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    rater_email = serializers.EmailField(required=False, allow_blank=True, default="")
    learner = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="For a program's director or coordinator: the learner asked about "
        "(default: the caller, asking for themself).",
    )
    program = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    client_token = serializers.UUIDField(required=False, allow_null=True, default=None)


class FeedbackRequestListApi(APIView):
    """The caller's feedback links, newest first; ask a rater for feedback (the learner, or a
    director or coordinator of the learner's program)."""

    pagination_class = LimitOffset

    @extend_schema(
        responses=FeedbackRequestSerializer(many=True), operation_id="feedback_request_list"
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            feedback_requests_of(learner=_user(request)), request, view=self
        )
        return paginator.get_paginated_response(
            FeedbackRequestSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        request=FeedbackRequestCreateSerializer,
        responses={
            201: FeedbackRequestSerializer,
            200: OpenApiResponse(FeedbackRequestSerializer, description="Same client token"),
        },
        operation_id="feedback_request_create",
    )
    def post(self, request: Request) -> Response:
        serializer = FeedbackRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        by = _user(request)
        learner = by
        if data["learner"] is not None and data["learner"] != by.pk:
            found = User.objects.filter(pk=data["learner"], is_active=True).first()
            if found is None:
                raise DjangoValidationError(
                    {"learner": ["Choose a learner enrolled in a program you run."]}
                )
            learner = found
        made, created = feedback_request_create(
            learner=learner,
            by=by,
            rater_type=data["rater_type"],
            rater_name=data["rater_name"],
            rater_email=data["rater_email"],
            anonymous=data["anonymous"],
            program_id=data["program"],
            client_token=data["client_token"],
        )
        return created_response(
            FeedbackRequestSerializer(made, context={"request": request}).data, created=created
        )


class ItemMeanSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    text = serializers.CharField()
    mean = serializers.FloatField()
    n = serializers.IntegerField()


class FeedbackGroupSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="A rater type, or `other` for the pooled groups.")
    name = serializers.CharField(source="label")
    n = serializers.IntegerField()
    items = ItemMeanSerializer(many=True)
    comments = serializers.ListField(child=serializers.CharField())
    names = serializers.ListField(child=serializers.CharField(), help_text="Named forms only.")


class FeedbackSummarySerializer(serializers.Serializer[Any]):
    groups = FeedbackGroupSerializer(many=True)
    waiting = serializers.IntegerField(help_text="Answers whose group has fewer than 3 yet.")
    total = serializers.IntegerField()


class FeedbackSummaryApi(APIView):
    """The caller's feedback, in groups of at least 3 raters of one type (smaller groups
    pooled as `other`, shown from 3)."""

    @extend_schema(responses=FeedbackSummarySerializer, operation_id="me_feedback_summary")
    def get(self, request: Request) -> Response:
        return Response(
            FeedbackSummarySerializer(feedback_summary_for(learner=_user(request))).data
        )


class FeedbackAnswerSerializer(serializers.Serializer[Any]):
    link = serializers.CharField(max_length=300, help_text="The token at the end of the link.")
    ratings = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Each statement of the rater's form → a value on its scale.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class FeedbackAnswerApi(APIView):
    """A rater answers through their one-time link. No account; works once."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=FeedbackAnswerSerializer,
        responses={
            201: DetailSerializer,
            404: OpenApiResponse(description="Not a valid link"),
            409: OpenApiResponse(description="The link has been used"),
            410: OpenApiResponse(description="The link has closed"),
        },
        operation_id="feedback_answer",
    )
    def post(self, request: Request) -> Response:
        serializer = FeedbackAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            item = feedback_request_from_token(data["link"])
            feedback_respond(request=item, ratings=data["ratings"], comment=data["comment"])
        except FeedbackLinkError as error:
            return _gone(error)
        return Response({"detail": "Thank you."}, status=status.HTTP_201_CREATED)


# --- Teaching evaluations -------------------------------------------------------------------


class EvaluableSerializer(serializers.Serializer[Any]):
    subject = serializers.ChoiceField(choices=TeachingEvaluation.Subject.choices)
    pk = serializers.IntegerField(help_text="The teacher's or the rotation's id.")
    name = serializers.CharField()
    done = serializers.BooleanField()


class TeachingEvaluationCreateSerializer(serializers.Serializer[Any]):
    teacher = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    rotation = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    ratings = serializers.DictField(child=serializers.IntegerField())
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs["teacher"] is None) == (attrs["rotation"] is None):
            raise serializers.ValidationError("Name a teacher or a rotation, not both.")
        return attrs


class TeachingEvaluationListApi(APIView):
    """Whom and what the caller may evaluate (and whether they have); evaluate one."""

    @extend_schema(
        responses=EvaluableSerializer(many=True), operation_id="teaching_evaluation_list"
    )
    def get(self, request: Request) -> Response:
        return Response(EvaluableSerializer(evaluable_by(learner=_user(request)), many=True).data)

    @extend_schema(
        request=TeachingEvaluationCreateSerializer,
        responses={
            201: DetailSerializer,
            409: OpenApiResponse(description="Evaluated already"),
        },
        operation_id="teaching_evaluation_create",
    )
    def post(self, request: Request) -> Response:
        serializer = TeachingEvaluationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data["teacher"] is not None:
                teacher_evaluation_create(
                    author=_user(request),
                    teacher_id=data["teacher"],
                    ratings=data["ratings"],
                    comment=data["comment"],
                )
            else:
                rotation_evaluation_create(
                    author=_user(request),
                    rotation_id=data["rotation"],
                    ratings=data["ratings"],
                    comment=data["comment"],
                )
        except EvaluationConflictError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response({"detail": "Thank you."}, status=status.HTTP_201_CREATED)


class EvaluationResultSerializer(serializers.Serializer[Any]):
    subject_id = serializers.IntegerField()
    name = serializers.CharField()
    program = serializers.CharField()
    n = serializers.IntegerField()
    items = ItemMeanSerializer(many=True)
    comments = serializers.ListField(child=serializers.CharField())


class ProgramTeachingResultsSerializer(serializers.Serializer[Any]):
    teachers = EvaluationResultSerializer(many=True)
    rotations = EvaluationResultSerializer(many=True)


class TeachingResultsApi(APIView):
    """The caller's results as a teacher, per program, each over at least 5 responses."""

    @extend_schema(
        responses=EvaluationResultSerializer(many=True), operation_id="me_teaching_results"
    )
    def get(self, request: Request) -> Response:
        results = teaching_results_for(teacher=_user(request))
        return Response(EvaluationResultSerializer(results, many=True).data)


class ProgramTeachingResultsApi(APIView):
    """For the program's directors: teachers' and rotations' aggregates (at least 5
    responses; rotations with at least 5 learners)."""

    @extend_schema(
        responses=ProgramTeachingResultsSerializer, operation_id="program_teaching_results"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = program_directed_by(user=_user(request), program_id=program_id)
        if program is None:
            raise Http404
        return Response(
            ProgramTeachingResultsSerializer(program_teaching_results(program=program)).data
        )


class TeachingResultDetailApi(APIView):
    """The caller's result as a teacher in one program: a 404 until at least 5 learners
    there have evaluated them (the threshold hides even that there are any)."""

    @extend_schema(responses=EvaluationResultSerializer, operation_id="me_teaching_result")
    def get(self, request: Request, program_id: int) -> Response:
        found = next(
            (r for r in teaching_results_for(teacher=_user(request)) if r.subject_id == program_id),
            None,
        )
        if found is None:
            raise Http404
        return Response(EvaluationResultSerializer(found).data)


class ProgramRotationResultApi(APIView):
    """For the program's directors: one rotation's aggregate, a 404 until it has at least 5
    responses and at least 5 learners on its schedule."""

    @extend_schema(responses=EvaluationResultSerializer, operation_id="program_rotation_result")
    def get(self, request: Request, program_id: int, rotation_id: int) -> Response:
        program = program_directed_by(user=_user(request), program_id=program_id)
        if program is None:
            raise Http404
        found = next(
            (
                r
                for r in program_teaching_results(program=program).rotations
                if r.subject_id == rotation_id
            ),
            None,
        )
        if found is None:
            raise Http404
        return Response(EvaluationResultSerializer(found).data)


class FeedbackGroupApi(APIView):
    """One group of the caller's feedback (a rater type, or `other`): a 404 until it holds
    at least 3 answers."""

    @extend_schema(responses=FeedbackGroupSerializer, operation_id="me_feedback_group")
    def get(self, request: Request, key: str) -> Response:
        summary = feedback_summary_for(learner=_user(request))
        found = next((g for g in summary.groups if g.key == key), None)
        if found is None:
            raise Http404
        return Response(FeedbackGroupSerializer(found).data)

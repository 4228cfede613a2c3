"""The portfolio API: every learner action of the portfolio pages, under /api/v1/.

Serializers validate and shape; views read through `portfolio.selectors` and write through
`portfolio.services` / `portfolio.transfer`. Histories paginate by cursor. Errors are JSON
with `detail`: 400 with field errors, 404 for anything the caller may not see, 413 for an
oversize upload, 415 for a file whose content is not an accepted type or not its name's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from assessments import calibration as calibration_module
from assessments.api import CalibrationSerializer
from assessments.models import CheckIn, SelfAssessment
from assessments.services.checkins import CheckInInvalidError, CheckInTokenConflictError
from core.api import Cursor, created_response, cursor, moment_writer
from core.db import read_together
from core.reversing import url_by_id
from frameworks.api import CompetencyOfItemSerializer
from frameworks.models import Framework
from portfolio import services, transfer
from portfolio.archive import kept_record
from portfolio.calibration import calibration_for
from portfolio.carried import carried_evidence_of
from portfolio.dashboard import CompetencyRow, Dashboard, learner_dashboard, timeline_of
from portfolio.models import (
    AccessLog,
    Evidence,
    Goal,
    GoalProgressNote,
    LearnerProfile,
    PortfolioTransfer,
    Scope,
    ShareGrant,
)
from portfolio.selectors import (
    CompetencyTag,
    access_log_of,
    active_grants,
    active_grants_read,
    checkins_visible_to,
    competencies_of_evidence_read,
    evidence_rows_visible_to,
    evidence_visible_to,
    goals_visible_to,
    kept_records_of,
    own_evidence_page_read,
    own_evidence_page_tags_read,
    profile_of,
    self_assessments_visible_to,
    share_grants_of,
    transfers_of,
)
from portfolio.services import CheckInItem
from portfolio.uploads import UploadRejectedError
from portfolio.views import file_response
from programs.selectors import frameworks_in_use

# --- Shared plumbing --------------------------------------------------------------------------


class UploadRejected(APIException):
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "upload_rejected"

    def __init__(self, error: UploadRejectedError) -> None:
        super().__init__(detail={"detail": error.reason, "file": [error.reason]})
        self.status_code = error.status_code


class ServiceErrorsMixin:
    """Map service exceptions that carry their own HTTP status (413, 415) onto responses."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, UploadRejectedError):
            exc = UploadRejected(exc)
        return super().handle_exception(exc)  # type: ignore[misc]


def _user(request: Request) -> User:
    return cast(User, request.user)


class AudienceMixin(serializers.Serializer[Any]):
    """`visible_to`: who besides the learner may read the item now (the privacy indicator)."""

    def audience(self, scope: Scope) -> list[str]:
        grants: list[ShareGrant] = self.context.get("grants", [])
        return [grant.audience_label for grant in grants if grant.covers(scope)]


# --- Profile, timeline, dashboard -------------------------------------------------------------


class TimelineStageSerializer(serializers.Serializer[Any]):
    institution = serializers.CharField()
    program = serializers.CharField()
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    year_label = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    current = serializers.BooleanField()


class MeEnrollmentListApi(APIView):
    """The caller's timeline: enrollments here and stages brought in from elsewhere."""

    @extend_schema(responses=TimelineStageSerializer(many=True), operation_id="me_enrollments")
    def get(self, request: Request) -> Response:
        stages = timeline_of(learner=_user(request))
        return Response(TimelineStageSerializer(stages, many=True).data)


class CarriedEvidenceSerializer(serializers.Serializer[Any]):
    evidence_id = serializers.IntegerField(help_text="The evidence item (`/api/v1/evidence/ID/`).")
    title = serializers.CharField()
    occurred_on = serializers.DateField()
    via = serializers.CharField(help_text="The earlier stage's competency it is tagged with.")


class CarriedCompetencySerializer(serializers.Serializer[Any]):
    competency = CompetencyOfItemSerializer()
    evidence = CarriedEvidenceSerializer(many=True)


class MeCarriedEvidenceApi(APIView):
    """The caller's evidence from an earlier stage, against the competencies of their current
    programs' frameworks, through links between frameworks (docs/frameworks.md)."""

    @extend_schema(
        responses=CarriedCompetencySerializer(many=True), operation_id="me_carried_evidence"
    )
    def get(self, request: Request) -> Response:
        carried = carried_evidence_of(learner=_user(request))
        return Response(CarriedCompetencySerializer(carried, many=True).data)


class ProfileSerializer(serializers.ModelSerializer[LearnerProfile]):
    class Meta:
        model = LearnerProfile
        fields = ["headline", "about", "updated_at"]
        read_only_fields = ["updated_at"]
        # Null until the learner first saves a profile (GET answers an unsaved blank one).
        extra_kwargs = {"updated_at": {"allow_null": True}}


class MeProfileApi(APIView):
    """The caller's learner profile."""

    @extend_schema(responses=ProfileSerializer, operation_id="me_profile_retrieve")
    def get(self, request: Request) -> Response:
        profile = profile_of(learner=_user(request)) or LearnerProfile(learner=_user(request))
        return Response(ProfileSerializer(profile).data)

    @extend_schema(
        request=ProfileSerializer, responses=ProfileSerializer, operation_id="me_profile_update"
    )
    def put(self, request: Request) -> Response:
        serializer = ProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.learner_profile_update(
            learner=_user(request),
            headline=serializer.validated_data.get("headline", ""),
            about=serializer.validated_data.get("about", ""),
        )
        return Response(ProfileSerializer(profile).data)


class DashboardRowSerializer(serializers.Serializer[CompetencyRow]):
    competency = CompetencyOfItemSerializer()
    self_level = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    self_on = serializers.DateField(allow_null=True)
    assessor_level = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    assessor_on = serializers.DateField(allow_null=True)
    assessor_n = serializers.IntegerField()
    expected = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    gap = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        allow_null=True,
        help_text=(
            "The expected level minus the current level (`basis`): positive when below the "
            "expected level (1.1 is below it by 1.1), negative when above it, 0.0 at it; null "
            "without an expected or a current level."
        ),
    )
    basis = serializers.ChoiceField(choices=["assessor", "self", ""])


class DashboardPointSerializer(serializers.Serializer[Any]):
    """One month of one competency: the mean of its ratings by the learner or by assessors."""

    competency_id = serializers.IntegerField()
    # Null for a competency outside the current programs' frameworks (an earlier stage).
    code = serializers.CharField(allow_null=True)
    # Plain text, not an enum: its two values are the `basis` enum's, and one set of choices
    # under two names is ambiguous in the schema.
    rated_by = serializers.CharField(help_text='"self" (the learner) or "assessor".')
    month = serializers.DateField()
    mean = serializers.DecimalField(max_digits=4, decimal_places=2)
    n = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer[Any]):
    rows = DashboardRowSerializer(many=True)
    focus_next = DashboardRowSerializer(many=True)
    trajectory = DashboardPointSerializer(many=True, help_text="Yours first, then assessors'.")


def dashboard_points(dashboard: Dashboard) -> list[dict[str, Any]]:
    """The trajectory's monthly points; yours, then assessors', each by month and competency."""
    codes = {c.pk: c.code for c in dashboard.charted}
    return [
        {
            "competency_id": p.competency_id,
            "code": codes.get(p.competency_id),
            "rated_by": who,
            "month": p.month,
            "mean": p.mean,
            "n": p.n,
        }
        for who, points in (
            ("self", dashboard.self_points),
            ("assessor", dashboard.assessor_points),
        )
        for p in points
    ]


TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")


def dashboard_data(dashboard: Dashboard) -> dict[str, Any]:
    """What `DashboardSerializer` renders, built directly: a long history has hundreds of
    points, and DRF's per-field serialization cost more than the database work behind them.
    A test holds the two equal."""
    numbers: dict[tuple[Decimal, Decimal], str] = {}  # a few distinct levels recur

    def number(value: Decimal | None, step: Decimal) -> str | None:
        if value is None:
            return None
        text = numbers.get((value, step))
        if text is None:
            text = numbers[(value, step)] = f"{value.quantize(step):f}"
        return text

    competencies: dict[int, dict[str, Any]] = {}

    def row_data(row: CompetencyRow) -> dict[str, Any]:
        c = row.competency
        competency = competencies.get(c.pk)
        if competency is None:
            competency = competencies[c.pk] = {
                "id": c.pk,
                "code": c.code,
                "title": c.title,
                "framework": c.framework.code,
                "version": c.framework.version,
            }
        return {
            "competency": competency,
            "self_level": number(row.self_level, TENTH),
            "self_on": row.self_on.isoformat() if row.self_on else None,
            "assessor_level": number(row.assessor_level, TENTH),
            "assessor_on": row.assessor_on.isoformat() if row.assessor_on else None,
            "assessor_n": row.assessor_n,
            "expected": number(row.expected, TENTH),
            "gap": number(row.gap, TENTH),
            "basis": row.basis,
        }

    # The trajectory's points as `dashboard_points` gives them, read from the monthly means'
    # columns (no tuple per point), with each distinct month and mean written once (hundreds
    # of points share a few dozen of each).
    codes = {c.pk: c.code for c in dashboard.charted}
    raters = (("self", dashboard.self_months), ("assessor", dashboard.assessor_months))
    months = {m: m.isoformat() for _, columns in raters for m in set(columns.month)}
    means = {m: number(m, HUNDREDTH) for _, columns in raters for m in set(columns.mean)}
    trajectory = [
        {
            "competency_id": competency_id,
            "code": codes.get(competency_id),
            "rated_by": who,
            "month": months[month],
            "mean": means[mean],
            "n": n,
        }
        for who, columns in raters
        for competency_id, month, mean, n in zip(
            columns.competency, columns.month, columns.mean, columns.n, strict=True
        )
    ]
    return {
        "rows": [row_data(row) for row in dashboard.rows],
        "focus_next": [row_data(row) for row in dashboard.focus_next],
        "trajectory": trajectory,
    }


class MeDashboardApi(APIView):
    """Per competency: latest self and assessor levels, expected level now, gap; focus-next;
    and the monthly means behind the trajectory chart."""

    @extend_schema(responses=DashboardSerializer, operation_id="me_dashboard")
    def get(self, request: Request) -> Response:
        # The stages of training are at /api/v1/me/enrollments/; no need to read them here.
        dashboard = learner_dashboard(learner=_user(request), stages=False)
        return Response(dashboard_data(dashboard))


class FrameworkMeanSerializer(serializers.Serializer[Any]):
    month = serializers.DateField()
    framework = serializers.CharField(source="code", help_text="The framework's name.")
    rated_by = serializers.CharField()
    mean = serializers.DecimalField(max_digits=4, decimal_places=2)
    n = serializers.IntegerField()


class ExpectedPointSerializer(serializers.Serializer[Any]):
    on = serializers.DateField()
    level = serializers.DecimalField(max_digits=3, decimal_places=1)


class TrajectoryCompetencySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    framework = serializers.CharField(help_text="The framework's code.")
    version = serializers.CharField()
    current = serializers.BooleanField(help_text="On the dashboard now, not only in history.")
    expected = ExpectedPointSerializer(
        many=True, help_text="Corners of the expected trajectory; straight lines between."
    )


class BoundarySerializer(serializers.Serializer[Any]):
    on = serializers.DateField()
    label: Any = serializers.CharField()


class TrajectorySerializer(serializers.Serializer[Any]):
    competencies = TrajectoryCompetencySerializer(many=True)
    framework_means = FrameworkMeanSerializer(many=True)
    boundaries = BoundarySerializer(many=True)


class MeTrajectoryApi(APIView):
    """The trajectory across stages: every competency the learner was rated on (with its
    framework, also after a change of program) and its expected trajectory, each framework's
    monthly means (never across frameworks) and the stage changes. The monthly means per
    competency are the dashboard's `trajectory`."""

    @extend_schema(responses=TrajectorySerializer, operation_id="me_trajectory")
    def get(self, request: Request) -> Response:
        dashboard = learner_dashboard(learner=_user(request))
        current = {row.competency.pk for row in dashboard.rows}
        rated = {p.competency_id for p in [*dashboard.self_points, *dashboard.assessor_points]}
        competencies = [
            {
                "id": c.pk,
                "code": c.code,
                "title": c.title,
                "framework": c.framework.code,
                "version": c.framework.version,
                "current": c.pk in current,
                "expected": [
                    {"on": on, "level": level} for on, level in dashboard.expected_trajectory(c)
                ],
            }
            for c in dashboard.charted
            if c.pk in current or c.pk in rated
        ]
        return Response(
            TrajectorySerializer(
                {
                    "competencies": competencies,
                    "framework_means": dashboard.framework_monthly_rows(),
                    "boundaries": dashboard.boundaries,
                }
            ).data
        )


# --- Evidence ---------------------------------------------------------------------------------


class EvidenceFileSerializer(serializers.Serializer[Evidence]):
    name = serializers.CharField(source="file_name")
    content_type = serializers.CharField(source="file_type")
    size = serializers.IntegerField(source="file_size")
    sha256 = serializers.CharField(source="file_sha256")
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Evidence) -> str:
        return reverse("api-evidence-file", args=[obj.pk])


class EvidenceSerializer(AudienceMixin, serializers.ModelSerializer[Evidence]):
    """One item of evidence or a reflection; `visible_to` names who else may read it now."""

    competencies = CompetencyOfItemSerializer(many=True, read_only=True)
    file = serializers.SerializerMethodField()
    visible_to = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "public_id",
            "kind",
            "title",
            "body",
            "occurred_on",
            "credit_hours",
            "external_source",
            "external_id",
            "competencies",
            "unmatched_competencies",
            "file",
            "visible_to",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(EvidenceFileSerializer(allow_null=True))
    def get_file(self, obj: Evidence) -> dict[str, Any] | None:
        return EvidenceFileSerializer(obj).data if obj.file else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_visible_to(self, obj: Evidence) -> list[str]:
        return self.audience(obj.scope)


# What `evidence_list_data` reads of each item.
EVIDENCE_ROW_FIELDS = (
    "id",
    "public_id",
    "kind",
    "title",
    "body",
    "occurred_on",
    "credit_hours",
    "external_source",
    "external_id",
    "unmatched_competencies",
    "file",
    "file_name",
    "file_type",
    "file_size",
    "file_sha256",
    "created_at",
    "updated_at",
)
# The model's credit hours (two places, as a string), as `EvidenceSerializer` writes them.
_CREDIT_HOURS = serializers.DecimalField(max_digits=6, decimal_places=2)


def evidence_list_data(
    rows: list[dict[str, Any]],
    competencies: dict[int, list[CompetencyTag]],
    grants: list[ShareGrant],
) -> list[dict[str, Any]]:
    """What `EvidenceSerializer(many=True)` renders for a page of rows, built directly: DRF's
    per-field serialization of fifty items and their competencies cost several times the
    database's work on them. A test holds the two equal."""
    audience = {
        scope: [grant.audience_label for grant in grants if grant.covers(scope)]
        for scope in (Scope.EVIDENCE, Scope.REFLECTIONS)
    }
    moment = moment_writer()
    file_url = url_by_id("api-evidence-file")
    data = []
    for row in rows:
        pk = row["id"]
        reflection = row["kind"] == Evidence.Kind.REFLECTION
        credit_hours = row["credit_hours"]
        data.append(
            {
                "id": pk,
                "public_id": row["public_id"],  # a UUID, which orjson writes as DRF does
                "kind": row["kind"],
                "title": row["title"],
                "body": row["body"],
                "occurred_on": row["occurred_on"].isoformat(),
                "credit_hours": None
                if credit_hours is None
                else _CREDIT_HOURS.to_representation(credit_hours),
                "external_source": row["external_source"],
                "external_id": row["external_id"],
                "competencies": [tag._asdict() for tag in competencies.get(pk, ())],
                "unmatched_competencies": row["unmatched_competencies"],
                "file": {
                    "name": row["file_name"],
                    "content_type": row["file_type"],
                    "size": row["file_size"],
                    "sha256": row["file_sha256"],
                    "url": file_url(pk),
                }
                if row["file"]
                else None,
                "visible_to": list(audience[Scope.REFLECTIONS if reflection else Scope.EVIDENCE]),
                "created_at": moment(row["created_at"]),
                "updated_at": moment(row["updated_at"]),
            }
        )
    return data


class EvidenceWriteSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    occurred_on = serializers.DateField(required=False)
    credit_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    external_source = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    external_id = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    file = serializers.FileField(required=False, allow_null=True, default=None)


def _grants(request: Request) -> list[ShareGrant]:
    return active_grants(learner=_user(request))


class EvidenceListApi(ServiceErrorsMixin, APIView):
    """The caller's evidence and reflections (newest first); add one, with an optional file."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
    pagination_class = cursor(("-occurred_on", "-id"))

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=Evidence.Kind.values, description="Only this kind.")
        ],
        responses=EvidenceSerializer(many=True),
        operation_id="evidence_list",
    )
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind", "")
        if kind and kind not in Evidence.Kind.values:
            return Response({"detail": "Invalid input.", "kind": ["Unknown kind."]}, status=400)
        paginator = self.pagination_class()
        if paginator.starts(request):
            return self._first_page(request, paginator, kind)
        items = evidence_rows_visible_to(
            viewer=_user(request), learner=_user(request), fields=EVIDENCE_ROW_FIELDS
        )
        if kind:
            items = items.filter(kind=kind)
        page = paginator.paginate_queryset(items, request, view=self) or []
        tags, grants = read_together(
            competencies_of_evidence_read([row["id"] for row in page]),
            active_grants_read(learner=_user(request)),
        )
        return paginator.get_paginated_response(evidence_list_data(page, tags, grants))

    def _first_page(self, request: Request, paginator: Cursor, kind: str) -> Response:
        """The first page, its competencies and the grants in one round trip: the owner's
        statements, compiled once (`own_evidence_page_read`), as the evidence page reads
        them. `make bench` row (e): building the paginated statement and its filters cost
        more than the database's work on it."""
        learner = _user(request)
        size = paginator.first_page_size(request)
        ordering = tuple(paginator.ordering)
        rows, tags, grants = read_together(
            own_evidence_page_read(
                learner=learner,
                fields=EVIDENCE_ROW_FIELDS,
                offset=0,
                limit=size + 1,
                kind=kind,
                ordering=ordering,
            ),
            own_evidence_page_tags_read(
                learner=learner, offset=0, limit=size, kind=kind, ordering=ordering
            ),
            active_grants_read(learner=learner),
        )
        page = paginator.first_page(rows, request)
        return paginator.get_paginated_response(evidence_list_data(page, tags, grants))

    @extend_schema(
        request={
            "multipart/form-data": EvidenceWriteSerializer,
            "application/json": EvidenceWriteSerializer,
        },
        responses={
            201: EvidenceSerializer,
            400: OpenApiResponse(description="Field errors"),
            413: OpenApiResponse(description="The file is over the size limit"),
            415: OpenApiResponse(
                description="The file's content is not an accepted type or not its name's"
            ),
        },
        operation_id="evidence_create",
    )
    def post(self, request: Request) -> Response:
        serializer = EvidenceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        evidence = services.evidence_create(
            learner=_user(request),
            kind=data["kind"],
            title=data["title"],
            body=data["body"],
            occurred_on=data.get("occurred_on"),
            competency_ids=data["competencies"],
            upload=data["file"],
            credit_hours=data["credit_hours"],
            external_source=data["external_source"],
            external_id=data["external_id"],
        )
        evidence = evidence_visible_to(viewer=_user(request), learner=_user(request)).get(
            pk=evidence.pk
        )
        return Response(
            EvidenceSerializer(evidence, context={"grants": _grants(request)}).data,
            status=status.HTTP_201_CREATED,
        )


class EvidenceUpdateSerializer(EvidenceWriteSerializer):
    kind = None  # type: ignore[assignment]  # the kind of an item never changes


class EvidenceDetailApi(ServiceErrorsMixin, APIView):
    """One item of the caller's evidence: read, change (a new file replaces the old), delete."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def _get(self, request: Request, pk: int) -> Evidence:
        return get_object_or_404(
            evidence_visible_to(viewer=_user(request), learner=_user(request)), pk=pk
        )

    @extend_schema(responses=EvidenceSerializer, operation_id="evidence_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            EvidenceSerializer(self._get(request, pk), context={"grants": _grants(request)}).data
        )

    @extend_schema(
        request={
            "multipart/form-data": EvidenceUpdateSerializer,
            "application/json": EvidenceUpdateSerializer,
        },
        responses={200: EvidenceSerializer, 413: OpenApiResponse(), 415: OpenApiResponse()},
        operation_id="evidence_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        evidence = self._get(request, pk)
        current = {
            "title": evidence.title,
            "body": evidence.body,
            "occurred_on": evidence.occurred_on,
            "credit_hours": evidence.credit_hours,
            "external_source": evidence.external_source,
            "external_id": evidence.external_id,
            "competencies": [c.pk for c in evidence.competencies.all()],
        }
        serializer = EvidenceUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {**current, **serializer.validated_data}
        services.evidence_update(
            evidence=evidence,
            title=data["title"],
            body=data["body"],
            occurred_on=data["occurred_on"],
            competency_ids=data["competencies"],
            credit_hours=data["credit_hours"],
            external_source=data["external_source"],
            external_id=data["external_id"],
            upload=serializer.validated_data.get("file"),
        )
        return Response(
            EvidenceSerializer(self._get(request, pk), context={"grants": _grants(request)}).data
        )

    @extend_schema(responses={204: None}, operation_id="evidence_destroy")
    def delete(self, request: Request, pk: int) -> Response:
        services.evidence_delete(evidence=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceFileApi(APIView):
    """The file of one item of the caller's evidence, streamed after the permission check."""

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        operation_id="evidence_file",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        evidence = get_object_or_404(
            evidence_visible_to(viewer=_user(request), learner=_user(request)), pk=pk
        )
        return file_response(evidence)


# --- Goals ------------------------------------------------------------------------------------


class ProgressNoteSerializer(serializers.ModelSerializer[GoalProgressNote]):
    class Meta:
        model = GoalProgressNote
        fields = ["id", "text", "noted_on", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"noted_on": {"required": False}}


class GoalSerializer(AudienceMixin, serializers.ModelSerializer[Goal]):
    """A goal of the learning plan; `visible_to` names who else may read it now."""

    competencies = CompetencyOfItemSerializer(many=True, read_only=True)
    evidence: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    progress_notes = ProgressNoteSerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField()
    visible_to = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id",
            "public_id",
            "title",
            "measure",
            "plan",
            "target_date",
            "status",
            "competencies",
            "unmatched_competencies",
            "evidence",
            "progress_notes",
            "overdue",
            "visible_to",
            "created_at",
            "updated_at",
        ]

    def get_overdue(self, obj: Goal) -> bool:
        return obj.is_overdue()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_visible_to(self, obj: Goal) -> list[str]:
        return self.audience(Scope.GOALS)


class GoalWriteSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    measure = serializers.CharField(max_length=2000)
    plan = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    target_date = serializers.DateField()
    status = serializers.ChoiceField(choices=Goal.Status.choices, default=Goal.Status.PLANNED)
    competencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )


class GoalListApi(APIView):
    """The caller's goals (by target date, newest first); add one."""

    pagination_class = cursor(("-target_date", "-id"))

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=Goal.Status.values)],
        responses=GoalSerializer(many=True),
        operation_id="goal_list",
    )
    def get(self, request: Request) -> Response:
        goals = goals_visible_to(viewer=_user(request), learner=_user(request))
        wanted = request.query_params.get("status", "")
        if wanted:
            if wanted not in Goal.Status.values:
                return Response(
                    {"detail": "Invalid input.", "status": ["Unknown status."]}, status=400
                )
            goals = goals.filter(status=wanted)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(goals, request, view=self)
        return paginator.get_paginated_response(
            GoalSerializer(page, many=True, context={"grants": _grants(request)}).data
        )

    @extend_schema(
        request=GoalWriteSerializer, responses={201: GoalSerializer}, operation_id="goal_create"
    )
    def post(self, request: Request) -> Response:
        serializer = GoalWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        goal = services.goal_create(
            learner=_user(request),
            title=data["title"],
            measure=data["measure"],
            plan=data["plan"],
            target_date=data["target_date"],
            status=data["status"],
            competency_ids=data["competencies"],
            evidence_ids=data["evidence"],
        )
        goal = goals_visible_to(viewer=_user(request), learner=_user(request)).get(pk=goal.pk)
        return Response(GoalSerializer(goal, context={"grants": _grants(request)}).data, status=201)


class GoalDetailApi(APIView):
    """One of the caller's goals: read, change, delete."""

    def _get(self, request: Request, pk: int) -> Goal:
        return get_object_or_404(
            goals_visible_to(viewer=_user(request), learner=_user(request)), pk=pk
        )

    @extend_schema(responses=GoalSerializer, operation_id="goal_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            GoalSerializer(self._get(request, pk), context={"grants": _grants(request)}).data
        )

    @extend_schema(
        request=GoalWriteSerializer(partial=True),
        responses=GoalSerializer,
        operation_id="goal_update",
    )
    def patch(self, request: Request, pk: int) -> Response:
        goal = self._get(request, pk)
        serializer = GoalWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {
            "title": goal.title,
            "measure": goal.measure,
            "plan": goal.plan,
            "target_date": goal.target_date,
            "status": goal.status,
            "competencies": [c.pk for c in goal.competencies.all()],
            "evidence": [e.pk for e in goal.evidence.all()],
            **serializer.validated_data,
        }
        services.goal_update(
            goal=goal,
            title=data["title"],
            measure=data["measure"],
            plan=data["plan"],
            target_date=data["target_date"],
            status=data["status"],
            competency_ids=data["competencies"],
            evidence_ids=data["evidence"],
        )
        return Response(
            GoalSerializer(self._get(request, pk), context={"grants": _grants(request)}).data
        )

    @extend_schema(responses={204: None}, operation_id="goal_destroy")
    def delete(self, request: Request, pk: int) -> Response:
        services.goal_delete(goal=self._get(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class GoalProgressNoteCreateApi(APIView):
    """Append a dated progress note to one of the caller's goals."""

    @extend_schema(
        request=ProgressNoteSerializer,
        responses={201: ProgressNoteSerializer},
        operation_id="goal_progress_note_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        goal = get_object_or_404(
            goals_visible_to(viewer=_user(request), learner=_user(request)), pk=pk
        )
        serializer = ProgressNoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.goal_progress_note_add(
            goal=goal,
            text=serializer.validated_data["text"],
            noted_on=serializer.validated_data.get("noted_on"),
        )
        return Response(ProgressNoteSerializer(note).data, status=201)


# --- Sharing and the access log ---------------------------------------------------------------


class ShareGrantSerializer(serializers.ModelSerializer[ShareGrant]):
    audience = serializers.SerializerMethodField()
    audience_kind = serializers.SerializerMethodField()
    grantee_email = serializers.EmailField(source="grantee.email", read_only=True, allow_null=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), read_only=True
    )
    active = serializers.SerializerMethodField()

    class Meta:
        model = ShareGrant
        fields = [
            "id",
            "audience_kind",
            "audience",
            "grantee_email",
            "program",
            "scopes",
            "note",
            "expires_at",
            "revoked_at",
            "created_at",
            "active",
        ]

    def get_audience(self, obj: ShareGrant) -> str:
        return obj.audience_label

    def get_audience_kind(self, obj: ShareGrant) -> str:
        return "person" if obj.grantee_id else "committee"

    def get_active(self, obj: ShareGrant) -> bool:
        return obj.is_active()


class ShareGrantWriteSerializer(serializers.Serializer[Any]):
    grantee_email = serializers.EmailField(required=False, allow_blank=True, default="")
    program = serializers.IntegerField(required=False, allow_null=True, default=None)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.choices), allow_empty=False
    )
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ShareGrantListApi(APIView):
    """Every grant the caller gave (revoked and expired ones too); give a new one."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=ShareGrantSerializer(many=True), operation_id="share_grant_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            share_grants_of(learner=_user(request)), request, view=self
        )
        return paginator.get_paginated_response(ShareGrantSerializer(page, many=True).data)

    @extend_schema(
        request=ShareGrantWriteSerializer,
        responses={201: ShareGrantSerializer},
        operation_id="share_grant_create",
    )
    def post(self, request: Request) -> Response:
        serializer = ShareGrantWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        grant = services.share_grant_create(
            learner=_user(request),
            scopes=data["scopes"],
            grantee_email=data["grantee_email"],
            program_id=data["program"],
            expires_on=data["expires_on"],
            note=data["note"],
        )
        return Response(ShareGrantSerializer(grant).data, status=201)


class ShareGrantRevokeApi(APIView):
    """Withdraw one of the caller's grants, effective on its audience's next request."""

    @extend_schema(request=None, responses=ShareGrantSerializer, operation_id="share_grant_revoke")
    def post(self, request: Request, pk: int) -> Response:
        grant = get_object_or_404(share_grants_of(learner=_user(request)), pk=pk)
        return Response(ShareGrantSerializer(services.share_grant_revoke(grant=grant)).data)


class AccessLogSerializer(serializers.ModelSerializer[AccessLog]):
    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "viewer_name",
            "scope",
            "item_type",
            "item_id",
            "item_label",
            "action",
            "grant",
        ]


class AccessLogListApi(APIView):
    """Who read which of the caller's items, and when (newest first)."""

    pagination_class = cursor(("-at", "-id"), page_size=100)

    @extend_schema(responses=AccessLogSerializer(many=True), operation_id="access_log_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        entries = access_log_of(viewer=_user(request), learner=_user(request)).select_related(None)
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AccessLogSerializer(page, many=True).data)


# --- Export and import ------------------------------------------------------------------------


class TransferSerializer(serializers.ModelSerializer[PortfolioTransfer]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PortfolioTransfer
        fields = [
            "id",
            "direction",
            "status",
            "step",
            "done",
            "total",
            "percent",
            "archive_size",
            "report",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, obj: PortfolioTransfer) -> str | None:
        if obj.direction == obj.Direction.EXPORT and obj.status == obj.Status.DONE:
            return reverse("api-export-download", args=[obj.public_id])
        return None


class ImportUploadSerializer(serializers.Serializer[Any]):
    archive = serializers.FileField()


class ExportListApi(APIView):
    """The caller's exports; start a new one (it runs as a task — poll its status)."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=TransferSerializer(many=True), operation_id="export_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        jobs = transfers_of(learner=_user(request)).filter(
            direction=PortfolioTransfer.Direction.EXPORT
        )
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(TransferSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: TransferSerializer}, operation_id="export_create")
    def post(self, request: Request) -> Response:
        job = transfer.portfolio_export_start(learner=_user(request))
        job.refresh_from_db()
        return Response(TransferSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    """Progress of one of the caller's exports."""

    @extend_schema(responses=TransferSerializer, operation_id="export_retrieve")
    def get(self, request: Request, public_id: str) -> Response:
        jobs = transfers_of(learner=_user(request)).filter(
            direction=PortfolioTransfer.Direction.EXPORT
        )
        return Response(TransferSerializer(get_object_or_404(jobs, public_id=public_id)).data)


class ExportDownloadApi(APIView):
    """The archive of a finished export (ZIP)."""

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY}, operation_id="export_download"
    )
    def get(self, request: Request, public_id: str) -> FileResponse:
        jobs = transfers_of(learner=_user(request)).filter(
            direction=PortfolioTransfer.Direction.EXPORT, status=PortfolioTransfer.Status.DONE
        )
        job = get_object_or_404(jobs, public_id=public_id)
        response = FileResponse(
            job.archive.open("rb"),
            content_type="application/zip",
            as_attachment=True,
            filename=f"continuum-portfolio-{job.created_at:%Y%m%d}.zip",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class ImportListApi(APIView):
    """The caller's imports; upload an archive to import (checked at once, imported as a task)."""

    parser_classes = [MultiPartParser]
    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=TransferSerializer(many=True), operation_id="import_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        jobs = transfers_of(learner=_user(request)).filter(
            direction=PortfolioTransfer.Direction.IMPORT
        )
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(TransferSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            202: TransferSerializer,
            400: OpenApiResponse(description="Damaged, tampered or wrong-version archive"),
        },
        operation_id="import_create",
    )
    def post(self, request: Request) -> Response:
        serializer = ImportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = transfer.portfolio_import_start(
            learner=_user(request), upload=serializer.validated_data["archive"]
        )
        job.refresh_from_db()
        return Response(TransferSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class KeptRecordSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="record.item_id", help_text="The item's id in the archive.")
    section = serializers.CharField(
        source="record.section", help_text="The archive section, e.g. committee_reviews."
    )
    section_name = serializers.CharField(source="section")
    title = serializers.CharField(source="label", help_text="The item in one line.")
    author = serializers.CharField(help_text="Who wrote it, as exported (a snapshot).")
    dated = serializers.CharField(help_text="The item's date, as exported.")
    imported_at = serializers.DateTimeField(source="record.created_at")
    record = serializers.JSONField(source="record.payload", help_text="The item as exported.")


class KeptRecordListApi(APIView):
    """Records kept from the caller's imported archives (read-only: reviews, decisions,
    coaching, credentials and handovers from other deployments), newest import first."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=KeptRecordSerializer(many=True), operation_id="kept_record_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            kept_records_of(learner=_user(request)), request, view=self
        )
        kept = [kept_record(record) for record in page or []]
        return paginator.get_paginated_response(KeptRecordSerializer(kept, many=True).data)


class ImportDetailApi(APIView):
    """Progress and report of one of the caller's imports."""

    @extend_schema(responses=TransferSerializer, operation_id="import_retrieve")
    def get(self, request: Request, public_id: str) -> Response:
        jobs = transfers_of(learner=_user(request)).filter(
            direction=PortfolioTransfer.Direction.IMPORT
        )
        return Response(TransferSerializer(get_object_or_404(jobs, public_id=public_id)).data)


# --- Check-ins and self-assessments (the learner's own) ---------------------------------------


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
            CheckInItem(i["competency"], i["level"], i["note"], i["evidence"])
            for i in data["items"]
        ]
        try:
            checkin, created = services.checkin_record_with_evidence(
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
        if not created:
            # A retry: the check-in recorded earlier, read as the list reads it. A new one
            # comes back from the service with its items and links as written.
            checkin = (
                checkins_visible_to(viewer=learner, learner=learner)
                .prefetch_related("items__evidence")
                .get(pk=checkin.pk)
            )
        return created_response(CheckInSerializer(checkin).data, created=created)


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


# --- Calibration -------------------------------------------------------------------------------

WINDOW_PARAM = OpenApiParameter(
    "window",
    int,
    description=f"Pair ratings at most this many days apart "
    f"({calibration_module.MIN_WINDOW_DAYS}–{calibration_module.MAX_WINDOW_DAYS}; "
    f"default {calibration_module.DEFAULT_WINDOW_DAYS}).",
)


def _calibration(request: Request, learner: User) -> Response:
    result = calibration_for(
        viewer=_user(request),
        learner=learner,
        window_days=calibration_module.clamp_window(
            request.query_params.get("window", calibration_module.DEFAULT_WINDOW_DAYS)
        ),
    )
    if result is None:
        raise Http404
    return Response(CalibrationSerializer(result).data)


class CalibrationApi(APIView):
    """The caller's calibration: self-assessments against assessors' ratings."""

    @extend_schema(
        parameters=[WINDOW_PARAM], responses=CalibrationSerializer, operation_id="calibration_get"
    )
    def get(self, request: Request) -> Response:
        return _calibration(request, _user(request))


class LearnerCalibrationApi(APIView):
    """A learner's calibration, for people they share check-ins and self-assessments with."""

    @extend_schema(
        parameters=[WINDOW_PARAM],
        responses=CalibrationSerializer,
        operation_id="calibration_of_learner_get",
    )
    def get(self, request: Request, learner_id: int) -> Response:
        learner = User.objects.filter(pk=learner_id, is_active=True).first()
        if learner is None:
            raise Http404
        return _calibration(request, learner)

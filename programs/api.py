"""The programs API: set-up, roster import, review periods, packets, consensus, heatmap, flags.

Same rules as the pages: the program is looked up through `programs.selectors`, so someone
without a role in it gets 404. Serializers shape and validate; services write.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from frameworks.models import Framework
from programs import services
from programs.flags import flags_build
from programs.forms import period_values, program_defaults
from programs.heatmap import Filters, heatmap_build, program_competencies
from programs.models import (
    Cohort,
    ConsensusRating,
    Enrollment,
    Expectation,
    Institution,
    LearnerReview,
    Program,
    ReviewPeriod,
)
from programs.overview import overview_build
from programs.packet import Packet, packet_build
from programs.reports import CONSENSUS_COLUMNS, consensus_rows
from programs.selectors import (
    consensus_history,
    enrollment_in_period,
    enrollments_in,
    program_reviewed_by,
    programs_managed_by,
    programs_signed_off_by,
    programs_visible_to,
    review_periods_of,
    reviews_of_learner,
)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _managed(request: Request, program_id: int) -> Program:
    return get_object_or_404(programs_managed_by(user=_user(request)), pk=program_id)


def _reviewed(request: Request, program_id: int) -> Program:
    program = program_reviewed_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    return program


def _visible(request: Request, program_id: int) -> Program:
    return get_object_or_404(programs_visible_to(user=_user(request)), pk=program_id)


def _period(program: Program, period_id: int) -> ReviewPeriod:
    return get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)


def _enrollment(program: Program, period: ReviewPeriod, learner_id: int) -> Enrollment:
    try:
        return enrollment_in_period(program=program, learner_id=learner_id, period=period)
    except Enrollment.DoesNotExist:
        raise Http404 from None


# --- Serializers -------------------------------------------------------------------------


class FrameworkRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField()
    version = serializers.CharField()
    name = serializers.CharField()


class ProgramSerializer(serializers.ModelSerializer[Program]):
    institution = serializers.CharField(source="institution.name")
    frameworks = FrameworkRefSerializer(many=True)
    can_manage = serializers.SerializerMethodField()
    can_review = serializers.BooleanField(source="viewer_can_review")
    can_sign_off = serializers.BooleanField(source="viewer_can_sign_off")

    class Meta:
        model = Program
        fields = [
            "id",
            "name",
            "slug",
            "institution",
            "stage",
            "specialty",
            "duration_years",
            "review_months",
            "year_start_month",
            "frameworks",
            "can_manage",
            "can_review",
            "can_sign_off",
        ]

    def get_can_manage(self, program: Program) -> bool:
        request = self.context.get("request")
        return bool(
            program.viewer_can_manage  # type: ignore[attr-defined]
            or (request is not None and request.user.is_superuser)
        )


class ProgramCreateSerializer(serializers.Serializer[Any]):
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    name = serializers.CharField(max_length=200)
    stage = serializers.ChoiceField(choices=Program.Stage.choices)
    specialty = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    duration_years = serializers.IntegerField(min_value=1, max_value=10)
    review_months = serializers.ChoiceField(
        choices=[1, 2, 3, 4, 6, 12], default=program_defaults()["review_months"]
    )
    year_start_month = serializers.IntegerField(
        min_value=1, max_value=12, default=program_defaults()["year_start_month"]
    )
    frameworks = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="Framework ids."
    )
    director_email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate_frameworks(self, ids: list[int]) -> list[Framework]:
        """All the frameworks in one query (a related field would read them one by one)."""
        found = list(Framework.objects.filter(pk__in=ids))
        missing = sorted(set(ids) - {framework.pk for framework in found})
        if missing:
            raise serializers.ValidationError(f"No framework has the id {missing[0]}.")
        return found


class CohortSerializer(serializers.ModelSerializer[Cohort]):
    class Meta:
        model = Cohort
        fields = ["id", "name", "start_year"]


class LearnerRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


class EnrollmentSerializer(serializers.ModelSerializer[Enrollment]):
    learner = LearnerRefSerializer()
    cohort = CohortSerializer(allow_null=True)

    class Meta:
        model = Enrollment
        fields = ["id", "learner", "cohort", "training_year", "start_date", "end_date"]


class EnrollmentCreateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    training_year = serializers.IntegerField(min_value=1, max_value=10)
    start_date = serializers.DateField()
    cohort = serializers.IntegerField(required=False, allow_null=True, default=None)


class RosterErrorSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class RosterResultSerializer(serializers.Serializer[Any]):
    rows = serializers.IntegerField()
    accounts_created = serializers.IntegerField()
    enrollments_created = serializers.IntegerField()
    enrollments_updated = serializers.IntegerField()


RosterFailureSerializer = inline_serializer(
    "RosterFailure",
    {"detail": serializers.CharField(), "errors": RosterErrorSerializer(many=True)},
)


class RosterUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class ExpectationSerializer(serializers.Serializer[Any]):
    competency_id = serializers.IntegerField()
    competency = serializers.CharField(read_only=True)
    training_year = serializers.IntegerField(min_value=1, max_value=10)
    level = serializers.DecimalField(max_digits=3, decimal_places=1, allow_null=True)
    default = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True)
    overridden = serializers.BooleanField(read_only=True)


class ExpectationUpdateSerializer(serializers.Serializer[Any]):
    levels = ExpectationSerializer(many=True)


class ReviewPeriodSerializer(serializers.ModelSerializer[ReviewPeriod]):
    class Meta:
        model = ReviewPeriod
        fields = ["id", "name", "start_date", "end_date", "is_year_end"]
        extra_kwargs = {"name": {"required": False, "allow_blank": True}}


class ConsensusInputSerializer(serializers.Serializer[Any]):
    competency_id = serializers.IntegerField()
    level = serializers.DecimalField(max_digits=3, decimal_places=1)
    rationale = serializers.CharField(max_length=4000)
    amendment_reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class ConsensusSerializer(serializers.ModelSerializer[ConsensusRating]):
    competency = serializers.CharField(source="competency.code")
    recorded_by = serializers.CharField(source="recorded_by.name", allow_null=True)

    class Meta:
        model = ConsensusRating
        fields = [
            "id",
            "competency_id",
            "competency",
            "level",
            "rationale",
            "version",
            "is_current",
            "amendment_reason",
            "recorded_by",
            "recorded_at",
        ]


class ReviewSerializer(serializers.ModelSerializer[LearnerReview]):
    program = serializers.CharField(source="period.program.name")
    period = ReviewPeriodSerializer()
    signed_off_by = serializers.CharField(source="signed_off_by.name", allow_null=True)

    class Meta:
        model = LearnerReview
        fields = [
            "id",
            "program",
            "period",
            "training_year",
            "status",
            "summary",
            "signed_off_by",
            "signed_off_at",
            "learner_response",
            "responded_at",
        ]


class ReviewDetailSerializer(ReviewSerializer):
    ratings = serializers.SerializerMethodField()

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "ratings"]

    @extend_schema_field(ConsensusSerializer(many=True))
    def get_ratings(self, review: LearnerReview) -> list[dict[str, Any]]:
        return ConsensusSerializer(
            [r for r in consensus_history(review=review) if r.is_current], many=True
        ).data  # type: ignore[return-value]


class SignOffSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ResponseInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=4000)


# Output shapes of the computed documents (built as plain dicts for speed; typed here).
PeriodRefSerializer = inline_serializer(
    "HeatmapPeriod",
    allow_null=True,
    fields={
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "start_date": serializers.DateField(),
        "end_date": serializers.DateField(),
        "is_year_end": serializers.BooleanField(),
    },
)
HeatmapSerializer = inline_serializer(
    "Heatmap",
    {
        "program": inline_serializer(
            "ProgramRef", {"id": serializers.IntegerField(), "name": serializers.CharField()}
        ),
        "period": PeriodRefSerializer,
        "filters": inline_serializer(
            "HeatmapFilters",
            {
                "period": serializers.IntegerField(allow_null=True),
                "cohort": serializers.IntegerField(allow_null=True),
                "year": serializers.IntegerField(allow_null=True),
                "domain": serializers.IntegerField(allow_null=True),
            },
        ),
        "competencies": inline_serializer(
            "HeatmapCompetency",
            {
                "id": serializers.IntegerField(),
                "code": serializers.CharField(),
                "title": serializers.CharField(),
                "domain": serializers.CharField(),
            },
            many=True,
        ),
        "expected": serializers.DictField(
            child=serializers.ListField(child=serializers.FloatField()),
            help_text=(
                "Training year -> level expected by the period's end per competency column "
                "(part-way through the year, between last year's and this year's end levels)."
            ),
        ),
        "rows": inline_serializer(
            "HeatmapRow",
            {
                "learner_id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "cohort": serializers.CharField(),
                "training_year": serializers.IntegerField(),
                "review_status": serializers.CharField(),
                "below_count": serializers.IntegerField(),
                "flag_count": serializers.IntegerField(),
                "shortfall": serializers.FloatField(),
                "values": serializers.ListField(
                    child=serializers.FloatField(allow_null=True),
                    help_text="Per competency column: consensus, else median rating, else null.",
                ),
                "sources": serializers.CharField(
                    help_text="One letter per column: c consensus, r median of ratings, - none."
                ),
                "n": serializers.ListField(
                    child=serializers.IntegerField(),
                    help_text="Per column: assessor ratings in the period.",
                ),
                "flags": serializers.DictField(
                    child=serializers.ListField(
                        child=serializers.ChoiceField(choices=["below-expected", "holmboe-pgy2"])
                    ),
                    help_text="Competency id -> flags, for flagged cells only.",
                ),
                "needs_evidence": serializers.ListField(
                    child=serializers.IntegerField(),
                    help_text=(
                        "Competency ids whose cell would be flagged but rests on a single "
                        "assessor rating: not flagged; ask for more observations."
                    ),
                ),
            },
            many=True,
        ),
    },
)


class FlagReasonSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(
        choices=["below-expected", "holmboe-pgy2", "history-model", "needs-evidence"]
    )
    competency_id = serializers.IntegerField()
    competency = serializers.CharField()
    text = serializers.CharField()
    n = serializers.IntegerField(allow_null=True)
    probability = serializers.FloatField(allow_null=True)


class FlaggedLearnerSerializer(serializers.Serializer[Any]):
    learner_id = serializers.IntegerField()
    name = serializers.CharField()
    training_year = serializers.CharField()
    cohort = serializers.CharField()
    reasons = FlagReasonSerializer(many=True)


FlagsSerializer = inline_serializer(
    "EarlyWarning",
    {
        "program": inline_serializer(
            "FlagsProgram", {"id": serializers.IntegerField(), "name": serializers.CharField()}
        ),
        "period": inline_serializer(
            "FlagsPeriod", {"id": serializers.IntegerField(), "name": serializers.CharField()}
        ),
        "history_model": inline_serializer(
            "HistoryModel",
            {
                "active": serializers.BooleanField(),
                "graduated_cohorts": serializers.IntegerField(),
                "graduates": serializers.IntegerField(),
                "min_n": serializers.IntegerField(),
            },
        ),
        "learners": FlaggedLearnerSerializer(many=True),
        "needs_evidence": FlaggedLearnerSerializer(
            many=True,
            help_text="Learners with no flag whose concern rests on a single rating.",
        ),
    },
)
OverviewSerializer = inline_serializer(
    "InstitutionOverview",
    {
        "since": serializers.DateField(),
        "until": serializers.DateField(),
        "min_cell": serializers.IntegerField(),
        "rows": inline_serializer(
            "OverviewRow",
            {
                "program_id": serializers.IntegerField(),
                "program": serializers.CharField(),
                "institution": serializers.CharField(),
                "training_year": serializers.IntegerField(),
                "learners": serializers.IntegerField(allow_null=True),
                "learners_rated": serializers.IntegerField(allow_null=True),
                "ratings": serializers.IntegerField(allow_null=True),
                "median": serializers.FloatField(allow_null=True),
                "q1": serializers.FloatField(allow_null=True),
                "q3": serializers.FloatField(allow_null=True),
                "suppressed": serializers.BooleanField(),
            },
            many=True,
        ),
    },
)


# --- Packet document -----------------------------------------------------------------------


def _level(value: Decimal | None) -> str | None:
    """Levels as the serializers write them ("2.5"), never as floats."""
    return None if value is None else f"{Decimal(value):.1f}"


def packet_document(packet: Packet) -> dict[str, Any]:
    review = packet.review
    return {
        "learner": {
            "id": packet.learner.pk,
            "email": packet.learner.email,
            "name": packet.learner.name,
        },
        "period": ReviewPeriodSerializer(packet.period).data,
        "previous_period": None
        if packet.previous_period is None
        else ReviewPeriodSerializer(packet.previous_period).data,
        "training_year": packet.training_year,
        "status": "not_started" if review is None else review.status,
        "summary": "" if review is None else review.summary,
        "signed_off_at": None if review is None else review.signed_off_at,
        "learner_response": "" if review is None else review.learner_response,
        "missing": [c.code for c in packet.missing],
        "sharing_note": packet.sharing_note,
        "goals": [
            {"title": g.title, "status": g.status, "target_date": g.target_date}
            for g in packet.shared_goals
        ],
        "competencies": [
            {
                "id": s.competency.pk,
                "code": s.competency.code,
                "title": s.competency.title,
                "expected": _level(s.expected),
                "median": s.median,
                "n": s.n,
                "flags": s.flags,
                "consensus": None if s.consensus is None else ConsensusSerializer(s.consensus).data,
                "history": ConsensusSerializer(s.history, many=True).data,
                "previous": None if s.previous is None else _level(s.previous.level),
                "trajectory": [
                    {
                        "period_id": t.period_id,
                        "period": t.period_name,
                        "value": t.value,
                        "source": t.source,
                        "n": t.n,
                    }
                    for t in s.trajectory
                ],
                "assessments": [
                    {
                        "id": a.pk,
                        "level": _level(a.level),
                        "observed_on": a.observed_on,
                        "assessor": a.assessor.name if a.assessor else None,
                        "context": a.context,
                        "source": a.source,
                        "went_well": a.went_well,
                        "next_step": a.next_step,
                    }
                    for a in s.assessments
                ],
                "self_assessments": [
                    {"level": _level(x.level), "assessed_on": x.assessed_on, "note": x.note}
                    for x in s.self_assessments
                ],
            }
            for s in packet.sections
        ],
    }


PacketSerializer = inline_serializer(
    "ReviewPacket",
    {
        "learner": LearnerRefSerializer(),
        "period": ReviewPeriodSerializer(),
        "previous_period": ReviewPeriodSerializer(allow_null=True),
        "training_year": serializers.IntegerField(),
        "status": serializers.ChoiceField(choices=["not_started", "draft", "signed_off"]),
        "summary": serializers.CharField(),
        "signed_off_at": serializers.DateTimeField(allow_null=True),
        "learner_response": serializers.CharField(),
        "missing": serializers.ListField(child=serializers.CharField()),
        "sharing_note": serializers.CharField(),
        "goals": inline_serializer(
            "PacketGoal",
            {
                "title": serializers.CharField(),
                "status": serializers.CharField(),
                "target_date": serializers.DateField(),
            },
            many=True,
        ),
        "competencies": inline_serializer(
            "PacketCompetency",
            {
                "id": serializers.IntegerField(),
                "code": serializers.CharField(),
                "title": serializers.CharField(),
                "expected": serializers.DecimalField(max_digits=3, decimal_places=1),
                "median": serializers.FloatField(allow_null=True),
                "n": serializers.IntegerField(),
                "flags": serializers.ListField(child=serializers.CharField()),
                "consensus": ConsensusSerializer(allow_null=True),
                "history": ConsensusSerializer(many=True),
                "previous": serializers.DecimalField(
                    max_digits=3, decimal_places=1, allow_null=True
                ),
                "trajectory": inline_serializer(
                    "PacketTrajectoryPoint",
                    {
                        "period_id": serializers.IntegerField(),
                        "period": serializers.CharField(),
                        "value": serializers.FloatField(),
                        "source": serializers.CharField(),
                        "n": serializers.IntegerField(),
                    },
                    many=True,
                ),
                "assessments": inline_serializer(
                    "PacketAssessment",
                    {
                        "id": serializers.IntegerField(),
                        "level": serializers.DecimalField(max_digits=3, decimal_places=1),
                        "observed_on": serializers.DateField(),
                        "assessor": serializers.CharField(allow_null=True),
                        "context": serializers.CharField(),
                        "source": serializers.CharField(),
                        "went_well": serializers.CharField(),
                        "next_step": serializers.CharField(),
                    },
                    many=True,
                ),
                "self_assessments": inline_serializer(
                    "PacketSelfAssessment",
                    {
                        "level": serializers.DecimalField(max_digits=3, decimal_places=1),
                        "assessed_on": serializers.DateField(),
                        "note": serializers.CharField(),
                    },
                    many=True,
                ),
            },
            many=True,
        ),
    },
)

FILTER_PARAMETERS = [
    OpenApiParameter("period", OpenApiTypes.INT, description="Review period id (default: current)"),
    OpenApiParameter("cohort", OpenApiTypes.INT, description="Cohort id"),
    OpenApiParameter("year", OpenApiTypes.INT, description="Training year during the period"),
    OpenApiParameter("domain", OpenApiTypes.INT, description="Competency domain id"),
]


# --- Views ---------------------------------------------------------------------------------


class ProgramListApi(APIView):
    """Programs the caller manages or reviews (admins: all)."""

    @extend_schema(responses=ProgramSerializer(many=True), operation_id="programs_list")
    def get(self, request: Request) -> Response:
        programs = (
            programs_visible_to(user=_user(request))
            .prefetch_related("frameworks")
            .order_by("institution__name", "name")
        )
        return Response(ProgramSerializer(programs, many=True, context={"request": request}).data)

    @extend_schema(
        request=ProgramCreateSerializer,
        responses={201: ProgramSerializer},
        operation_id="programs_create",
        description="Institution administrators only (404 for anyone else). A name the "
        "institution already uses is a 400, so a retried request never makes a second program.",
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        if not user.is_superuser:
            raise Http404
        data = ProgramCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.program_create(**data.validated_data, by=user)
        program = get_object_or_404(
            programs_visible_to(user=user).prefetch_related("frameworks"), pk=created.pk
        )
        return Response(
            ProgramSerializer(program, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ProgramDetailApi(APIView):
    @extend_schema(responses=ProgramSerializer, operation_id="programs_retrieve")
    def get(self, request: Request, program_id: int) -> Response:
        program = _visible(request, program_id)
        return Response(ProgramSerializer(program, context={"request": request}).data)


class CohortListApi(APIView):
    @extend_schema(responses=CohortSerializer(many=True), operation_id="program_cohorts_list")
    def get(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        cohorts = Cohort.objects.filter(program=program).order_by("-start_year", "name")
        return Response(CohortSerializer(cohorts, many=True).data)

    @extend_schema(
        request=CohortSerializer,
        responses={201: CohortSerializer},
        operation_id="program_cohorts_create",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        data = CohortSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cohort = services.cohort_create(program=program, **data.validated_data)
        return Response(CohortSerializer(cohort).data, status=status.HTTP_201_CREATED)


class EnrollmentPagination(CursorPagination):
    ordering = "id"
    page_size = 100


class EnrollmentListApi(APIView):
    """Everyone enrolled in the program (current and past), paginated by cursor."""

    @extend_schema(
        responses=EnrollmentSerializer(many=True), operation_id="program_enrollments_list"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        paginator = EnrollmentPagination()
        page = paginator.paginate_queryset(enrollments_in(program=program), request, view=self)
        return paginator.get_paginated_response(EnrollmentSerializer(page, many=True).data)

    @extend_schema(
        request=EnrollmentCreateSerializer,
        responses={201: EnrollmentSerializer},
        operation_id="program_enrollments_create",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        data = EnrollmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        cohort_id = values.pop("cohort")
        cohort = None
        if cohort_id is not None:
            cohort = Cohort.objects.filter(program=program, pk=cohort_id).first()
            if cohort is None:
                raise DjangoValidationError({"cohort": "No such cohort in this program."})
        enrollment = services.enrollment_create(program=program, cohort=cohort, **values)
        return Response(EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED)


class RosterImportApi(APIView):
    """Import a roster CSV (multipart field `file`). All rows or none; 400 lists every error
    with its line and column."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": RosterUploadSerializer},
        responses={200: RosterResultSerializer, 400: RosterFailureSerializer},
        operation_id="program_roster_import",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"detail": "Send the CSV as a multipart field named 'file'.", "errors": []},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if upload.size is not None and upload.size > services.ROSTER_MAX_BYTES:
            return Response(
                {"detail": "The file is larger than 2 MB."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            result = services.roster_import(program=program, data=upload.read())
        except services.RosterImportError as error:
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
        return Response(RosterResultSerializer(result).data)


class ExpectationListApi(APIView):
    """Expected level per sub-competency and training year (default unless overridden)."""

    def _document(self, program: Program) -> list[dict[str, Any]]:
        overrides = {
            (e.competency_id, e.training_year): e.level
            for e in Expectation.objects.filter(program=program)
        }
        rows = []
        for competency in program_competencies(program=program):
            for year in range(1, program.duration_years + 1):
                default = program.default_expected_level(year)
                rows.append(
                    {
                        "competency_id": competency.pk,
                        "competency": competency.code,
                        "training_year": year,
                        "level": overrides.get((competency.pk, year), default),
                        "default": default,
                        "overridden": (competency.pk, year) in overrides,
                    }
                )
        return rows

    @extend_schema(
        responses=ExpectationSerializer(many=True), operation_id="program_expectations_list"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        return Response(ExpectationSerializer(self._document(program), many=True).data)

    @extend_schema(
        request=ExpectationUpdateSerializer,
        responses=ExpectationSerializer(many=True),
        operation_id="program_expectations_update",
    )
    def put(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        data = ExpectationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        levels: dict[tuple[int, int], Decimal | None] = {
            (item["competency_id"], item["training_year"]): item["level"]
            for item in data.validated_data["levels"]
        }
        services.expectations_update(program=program, levels=levels)
        return Response(ExpectationSerializer(self._document(program), many=True).data)


class ReviewPeriodListApi(APIView):
    @extend_schema(responses=ReviewPeriodSerializer(many=True), operation_id="program_periods_list")
    def get(self, request: Request, program_id: int) -> Response:
        program = _visible(request, program_id)
        return Response(ReviewPeriodSerializer(review_periods_of(program=program), many=True).data)

    @extend_schema(
        request=ReviewPeriodSerializer,
        responses={201: ReviewPeriodSerializer},
        operation_id="program_periods_create",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        data = ReviewPeriodSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        period = services.review_period_create(
            program=program,
            name=data.validated_data.get("name", ""),
            start_date=data.validated_data["start_date"],
            end_date=data.validated_data["end_date"],
            is_year_end=data.validated_data.get("is_year_end", False),
        )
        return Response(ReviewPeriodSerializer(period).data, status=status.HTTP_201_CREATED)


class ReviewPeriodDetailApi(APIView):
    """One review period. Directors, coordinators and admins correct it (PATCH): the name
    and the year-end mark at any time, the dates until the committee has recorded consensus
    in it; periods never overlap (`services.review_period_update`)."""

    @extend_schema(responses=ReviewPeriodSerializer, operation_id="program_periods_retrieve")
    def get(self, request: Request, program_id: int, period_id: int) -> Response:
        program = _visible(request, program_id)
        return Response(ReviewPeriodSerializer(_period(program, period_id)).data)

    @extend_schema(
        request=ReviewPeriodSerializer,
        responses=ReviewPeriodSerializer,
        operation_id="program_periods_partial_update",
    )
    def patch(self, request: Request, program_id: int, period_id: int) -> Response:
        program = _managed(request, program_id)
        period = _period(program, period_id)
        data = ReviewPeriodSerializer(period, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        period = services.review_period_update(
            period=period, **{**period_values(period), **data.validated_data}
        )
        return Response(ReviewPeriodSerializer(period).data)


class PacketDetailApi(APIView):
    """A learner's review packet for a period (reading shared items is access-logged)."""

    @extend_schema(responses=PacketSerializer, operation_id="program_packet_retrieve")
    def get(self, request: Request, program_id: int, period_id: int, learner_id: int) -> Response:
        program = _reviewed(request, program_id)
        period = _period(program, period_id)
        enrollment = _enrollment(program, period, learner_id)
        packet = packet_build(
            program=program, period=period, enrollment=enrollment, viewer=_user(request)
        )
        return Response(packet_document(packet))


class ConsensusRecordApi(APIView):
    """Record (or, after sign-off, amend with a reason) one consensus level."""

    @extend_schema(
        request=ConsensusInputSerializer,
        responses={201: ConsensusSerializer},
        operation_id="program_consensus_record",
    )
    def post(self, request: Request, program_id: int, period_id: int, learner_id: int) -> Response:
        program = _reviewed(request, program_id)
        period = _period(program, period_id)
        enrollment = _enrollment(program, period, learner_id)
        data = ConsensusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.learner_review_open(period=period, enrollment=enrollment)
        rating = services.consensus_record(review=review, by=_user(request), **data.validated_data)
        return Response(ConsensusSerializer(rating).data, status=status.HTTP_201_CREATED)


class ReviewSignOffApi(APIView):
    """The director signs off a complete review (409 when already signed off)."""

    @extend_schema(
        request=SignOffSerializer,
        responses={200: ReviewSerializer},
        operation_id="program_review_sign_off",
    )
    def post(self, request: Request, program_id: int, period_id: int, learner_id: int) -> Response:
        program = get_object_or_404(programs_signed_off_by(user=_user(request)), pk=program_id)
        period = _period(program, period_id)
        enrollment = _enrollment(program, period, learner_id)
        data = SignOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.learner_review_open(period=period, enrollment=enrollment)
        if review.is_signed_off:
            return Response(
                {"detail": "This review is already signed off."}, status=status.HTTP_409_CONFLICT
            )
        review = services.review_sign_off(
            review=review, by=_user(request), summary=data.validated_data["summary"]
        )
        return Response(ReviewSerializer(review).data)


class ConsensusListApi(APIView):
    """The period's consensus ratings, one row per learner × sub-competency (as the CSV)."""

    @extend_schema(
        responses=inline_serializer(
            "ConsensusReportRow",
            {name: serializers.CharField() for name in CONSENSUS_COLUMNS},
            many=True,
        ),
        operation_id="program_consensus_report",
    )
    def get(self, request: Request, program_id: int, period_id: int) -> Response:
        program = _reviewed(request, program_id)
        period = _period(program, period_id)
        rows = consensus_rows(program=program, period=period)
        return Response([dict(zip(CONSENSUS_COLUMNS, row, strict=True)) for row in rows])


class HeatmapApi(APIView):
    """Learners × sub-competencies for a period, most concern first."""

    @extend_schema(
        parameters=FILTER_PARAMETERS, responses=HeatmapSerializer, operation_id="program_heatmap"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _reviewed(request, program_id)
        heatmap = heatmap_build(program=program, filters=Filters.from_query(request.query_params))
        return Response(heatmap.as_dict())


class FlagListApi(APIView):
    """Early-warning flags with their explanations."""

    @extend_schema(
        parameters=FILTER_PARAMETERS, responses=FlagsSerializer, operation_id="program_flags"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _reviewed(request, program_id)
        flags = flags_build(program=program, filters=Filters.from_query(request.query_params))
        return Response(flags.as_dict())


class InstitutionOverviewApi(APIView):
    """Aggregates per program × training year; small cells withheld for non-reviewers."""

    @extend_schema(responses=OverviewSerializer, operation_id="institution_overview")
    def get(self, request: Request) -> Response:
        overview = overview_build(viewer=_user(request))
        if overview is None:
            raise Http404
        return Response(overview.as_dict())


class MyReviewListApi(APIView):
    """The caller's signed-off committee reviews."""

    @extend_schema(responses=ReviewSerializer(many=True), operation_id="me_reviews_list")
    def get(self, request: Request) -> Response:
        return Response(
            ReviewSerializer(reviews_of_learner(learner=_user(request)), many=True).data
        )


class MyReviewDetailApi(APIView):
    @extend_schema(responses=ReviewDetailSerializer, operation_id="me_reviews_retrieve")
    def get(self, request: Request, review_id: int) -> Response:
        review = get_object_or_404(reviews_of_learner(learner=_user(request)), pk=review_id)
        return Response(ReviewDetailSerializer(review).data)


class MyReviewRespondApi(APIView):
    """The learner's response to a signed-off review."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=ResponseInputSerializer,
        responses=ReviewSerializer,
        operation_id="me_reviews_respond",
    )
    def post(self, request: Request, review_id: int) -> Response:
        review = get_object_or_404(reviews_of_learner(learner=_user(request)), pk=review_id)
        data = ResponseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_respond(
            review=review, learner=_user(request), text=data.validated_data["text"]
        )
        return Response(ReviewSerializer(review).data)

"""The committee review API: packets, consensus, sign-off, heatmap, flags, reports, the
institution overview, and the learner's own reviews.

Same rules as the pages: the program is looked up through `programs.selectors`, so someone
without a review role in it gets 404. Serializers shape and validate; services write.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from assessments.models import Assessment
from committee import entrustment, services
from committee.flags import flags_build
from committee.heatmap import Filters, heatmap_build
from committee.models import ConsensusRating, EntrustmentDecision, LearnerReview
from committee.overview import overview_build
from committee.packet import Packet, packet_build
from committee.reports import CONSENSUS_COLUMNS, consensus_rows
from committee.selectors import consensus_history, enrollment_in_period, reviews_of_learner
from core.api import LimitOffset
from core.replica import reading_from_replica
from frameworks.api import CompetencyOfItemSerializer
from portfolio.services import access_log_record_official
from programs.api import LearnerRefSerializer, ReviewPeriodSerializer
from programs.models import Enrollment, Program, ReviewPeriod
from programs.selectors import program_reviewed_by, programs_signed_off_by


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _reviewed(request: Request, program_id: int) -> Program:
    program = program_reviewed_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    return program


def _period(program: Program, period_id: int) -> ReviewPeriod:
    return get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)


def _enrollment(program: Program, period: ReviewPeriod, learner_id: int) -> Enrollment:
    try:
        return enrollment_in_period(program=program, learner_id=learner_id, period=period)
    except Enrollment.DoesNotExist:
        raise Http404 from None


# --- Serializers -------------------------------------------------------------------------


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
            "email": packet.learner.contact_email,
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
        responses={200: ReviewSerializer, 409: None},
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
    """The period's consensus ratings, one row per learner × sub-competency (as the CSV),
    by pages of at most 200 rows (a 300-learner program has thousands)."""

    pagination_class = LimitOffset

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
        with reading_from_replica():
            rows = consensus_rows(program=program, period=period)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        return paginator.get_paginated_response(
            [dict(zip(CONSENSUS_COLUMNS, row, strict=True)) for row in page]
        )


class HeatmapApi(APIView):
    """Learners × sub-competencies for a period, most concern first."""

    @extend_schema(
        parameters=FILTER_PARAMETERS, responses=HeatmapSerializer, operation_id="program_heatmap"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _reviewed(request, program_id)
        with reading_from_replica():
            heatmap = heatmap_build(
                program=program, filters=Filters.from_query(request.query_params)
            )
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

    @extend_schema(
        responses={
            200: OverviewSerializer,
            404: OpenApiResponse(description="You hold no role that reads the overview"),
        },
        operation_id="institution_overview",
    )
    def get(self, request: Request) -> Response:
        with reading_from_replica():
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


# --- Entrustment decisions -------------------------------------------------------------------


class EntrustmentEvidenceSerializer(serializers.ModelSerializer[Assessment]):
    scale = serializers.CharField(source="scale.name", read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "observed_on", "level", "scale"]


class EntrustmentDecisionSerializer(serializers.ModelSerializer[EntrustmentDecision]):
    competency = CompetencyOfItemSerializer(read_only=True)
    program = serializers.CharField(source="program.name", read_only=True)
    evidence = EntrustmentEvidenceSerializer(many=True, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.name", read_only=True, allow_null=True)
    signed_off_by = serializers.CharField(
        source="signed_off_by.name", read_only=True, allow_null=True
    )

    class Meta:
        model = EntrustmentDecision
        fields = [
            "id",
            "program",
            "learner",
            "competency",
            "level",
            "decided_on",
            "rationale",
            "conditions",
            "evidence",
            "evidence_note",
            "status",
            "is_current",
            "recorded_by",
            "recorded_at",
            "signed_off_by",
            "signed_off_at",
        ]


class EntrustmentDecisionInputSerializer(serializers.Serializer[Any]):
    competency = serializers.IntegerField(min_value=1, help_text="An EPA of the program.")
    level = serializers.CharField(
        max_length=10, help_text="A level of the EPA framework's own entrustment scale."
    )
    decided_on = serializers.DateField()
    rationale = serializers.CharField(max_length=4000)
    conditions = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=100,
        help_text="Ids of the learner's assessments on this EPA.",
    )
    evidence_note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class EntrustmentDecisionListApi(APIView):
    """The program's entrustment decisions about one learner (drafts included); the committee
    records a new one (a draft until the director signs it off). Reads are access-logged."""

    pagination_class = None

    @extend_schema(
        responses=EntrustmentDecisionSerializer(many=True),
        operation_id="program_entrustment_decision_list",
    )
    def get(self, request: Request, program_id: int, learner_id: int) -> Response:
        program = _reviewed(request, program_id)
        if not Enrollment.objects.filter(program=program, learner_id=learner_id).exists():
            raise Http404
        rows = entrustment.decisions_for_committee(program=program, learner_id=learner_id)
        access_log_record_official(
            viewer=_user(request),
            reads=[
                (learner_id, "entrustmentdecisions", program.pk, f"Entrustment ({program.name})")
            ],
        )
        return Response(EntrustmentDecisionSerializer(rows, many=True).data)

    @extend_schema(
        request=EntrustmentDecisionInputSerializer,
        responses={
            201: EntrustmentDecisionSerializer,
            400: OpenApiResponse(description="Field errors; nothing was written"),
        },
        operation_id="program_entrustment_decision_record",
    )
    def post(self, request: Request, program_id: int, learner_id: int) -> Response:
        program = _reviewed(request, program_id)
        if not Enrollment.objects.filter(program=program, learner_id=learner_id).exists():
            raise Http404
        data = EntrustmentDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        decision = entrustment.entrustment_decision_record(
            program=program,
            learner_id=learner_id,
            competency_id=body["competency"],
            level=body["level"],
            decided_on=body["decided_on"],
            rationale=body["rationale"],
            conditions=body["conditions"],
            evidence_ids=body["evidence"],
            evidence_note=body["evidence_note"],
            by=_user(request),
        )
        shown = entrustment.decisions_for_committee(program=program, learner_id=learner_id).get(
            pk=decision.pk
        )
        return Response(EntrustmentDecisionSerializer(shown).data, status=status.HTTP_201_CREATED)


class EntrustmentDecisionSignOffApi(APIView):
    """The director signs off a draft decision; the learner then sees it (409 if signed)."""

    @extend_schema(
        request=None,
        responses={
            200: EntrustmentDecisionSerializer,
            409: OpenApiResponse(description="Already signed off"),
        },
        operation_id="program_entrustment_decision_sign_off",
    )
    def post(self, request: Request, program_id: int, decision_id: int) -> Response:
        program = get_object_or_404(programs_signed_off_by(user=_user(request)), pk=program_id)
        decision = get_object_or_404(
            EntrustmentDecision.objects.filter(program=program), pk=decision_id
        )
        try:
            entrustment.entrustment_decision_sign_off(decision=decision, by=_user(request))
        except entrustment.EntrustmentConflictError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        shown = entrustment.decisions_for_committee(
            program=program, learner_id=decision.learner_id
        ).get(pk=decision.pk)
        return Response(EntrustmentDecisionSerializer(shown).data)


class MyEntrustmentDecisionListApi(APIView):
    """The caller's own signed-off entrustment decisions, current and earlier."""

    pagination_class = None

    @extend_schema(
        responses=EntrustmentDecisionSerializer(many=True),
        operation_id="my_entrustment_decision_list",
    )
    def get(self, request: Request) -> Response:
        rows = entrustment.decisions_of_learner(learner=_user(request))
        return Response(EntrustmentDecisionSerializer(rows, many=True).data)

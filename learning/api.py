"""Precision-learning API: catalogue, recommendations with reasons and feedback, visit
upload with a per-entry report, and anticipatory learning. Serializers shape and validate;
views call selectors and services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import LimitOffset
from frameworks.models import Competency
from learning.anticipatory import Match
from learning.catalogue import CatalogueError
from learning.fhir import BundleError, max_bytes
from learning.models import LearningResource, Recommendation, ResourceCode, UpcomingVisit
from learning.ranking import RankedResource
from learning.selectors import (
    anticipatory_learning_for,
    catalogue_list,
    feedback_of,
    practitioner_link_of,
    recommendations_for,
    resource_detail,
    visits_of,
    visits_owned_by,
)
from learning.services import (
    OUTCOMES,
    FeedbackAction,
    catalogue_import,
    practitioner_link_set,
    recommendation_evidence_create,
    recommendation_feedback,
    visit_delete,
    visits_upload,
)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "too_large"


class FhirJsonParser(BaseParser):
    """Hands the raw body to the FHIR reader, so one bad entry never fails the whole parse."""

    media_type = "application/fhir+json"

    def parse(  # type: ignore[override]  # the raw bytes are the point
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if stream is None:
            return b""
        limit = max_bytes()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise PayloadTooLarge(f"The bundle is larger than {limit // (1024 * 1024)} MB.")
        return bytes(body)


class PlainJsonBundleParser(FhirJsonParser):
    media_type = "application/json"


# --- Serializers ------------------------------------------------------------------------------


class CompetencyRefSerializer(serializers.ModelSerializer[Competency]):
    framework = serializers.CharField(source="framework.code")
    framework_version = serializers.CharField(source="framework.version")

    class Meta:
        model = Competency
        fields = ["id", "framework", "framework_version", "code", "title"]


class ResourceCodeSerializer(serializers.ModelSerializer[ResourceCode]):
    class Meta:
        model = ResourceCode
        fields = ["system", "code", "display"]


class LearningResourceSerializer(serializers.ModelSerializer[LearningResource]):
    competencies = CompetencyRefSerializer(many=True)
    codes = ResourceCodeSerializer(many=True)
    file_url = serializers.SerializerMethodField()
    stages = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = LearningResource
        fields = [
            "id", "key", "title", "description", "kind", "url", "file_url",
            "duration_minutes", "cme_credit", "level_min", "level_max", "stages",
            "keywords", "reviewed_on", "competencies", "codes",
        ]  # fmt: skip

    def get_file_url(self, resource: LearningResource) -> str | None:
        from django.urls import reverse

        return reverse("learning-resource-file", args=[resource.pk]) if resource.file else None


class FeedbackStateSerializer(serializers.ModelSerializer[Recommendation]):
    resource = serializers.IntegerField(source="resource_id")
    done = serializers.SerializerMethodField()
    dismissed = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "resource", "done", "done_at", "rating", "dismissed", "dismissed_at",
            "evidence_id", "reason", "updated_at",
        ]  # fmt: skip

    def get_done(self, feedback: Recommendation) -> bool:
        return feedback.done_at is not None

    def get_dismissed(self, feedback: Recommendation) -> bool:
        return feedback.dismissed_at is not None


class RecommendationSerializer(serializers.Serializer[Any]):
    resource = LearningResourceSerializer()
    score = serializers.DecimalField(max_digits=8, decimal_places=3)
    reason = serializers.CharField(help_text="Why, in words: the gap it addresses.")
    details = serializers.ListField(
        child=serializers.CharField(), help_text="Where the numbers come from; fit; feedback."
    )
    competency = serializers.SerializerMethodField()
    feedback = FeedbackStateSerializer(allow_null=True)

    def get_competency(self, item: RankedResource) -> str | None:
        return item.standing.competency.code if item.standing else None


class FeedbackRequestSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=FeedbackAction.choices)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="The reason you were shown, kept with your feedback.",
    )


class EvidenceRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Why it was recommended."
    )


class EvidenceCreatedSerializer(serializers.Serializer[Any]):
    evidence_id = serializers.IntegerField()
    title = serializers.CharField()
    feedback = FeedbackStateSerializer()


class VisitReasonSerializer(serializers.Serializer[Any]):
    system = serializers.CharField()
    code = serializers.CharField()
    display = serializers.CharField(allow_blank=True)


class UpcomingVisitSerializer(serializers.ModelSerializer[UpcomingVisit]):
    reasons = VisitReasonSerializer(many=True)

    class Meta:
        model = UpcomingVisit
        fields = [
            "id", "resource_type", "resource_id", "visit_date", "starts_at", "status",
            "reasons", "reason_text",
        ]  # fmt: skip


class EntryReportSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="Position in Bundle.entry, from 0.")
    resource_type = serializers.CharField(allow_blank=True)
    resource_id = serializers.CharField(allow_blank=True)
    outcome = serializers.ChoiceField(choices=[(o, o) for o in OUTCOMES])
    reason = serializers.CharField(allow_blank=True)
    warnings = serializers.ListField(child=serializers.CharField())


class VisitUploadReportSerializer(serializers.Serializer[Any]):
    counts = serializers.DictField(child=serializers.IntegerField())
    kept = serializers.IntegerField(help_text="Visits now on your list from this bundle.")
    entries = EntryReportSerializer(many=True)


class VisitUploadFormSerializer(serializers.Serializer[Any]):
    bundle = serializers.FileField(help_text="A FHIR R4 Bundle (JSON).")
    practitioner = serializers.CharField(required=False)


class MatchSerializer(serializers.Serializer[Any]):
    resource = LearningResourceSerializer()
    match = serializers.SerializerMethodField()
    reason = serializers.CharField()
    visit_count = serializers.SerializerMethodField()

    def get_match(self, item: Match) -> str:
        return {4: "exact", 3: "parent", 2: "pair", 1: "text"}[item.strength]

    def get_visit_count(self, item: Match) -> int:
        return len(item.visits)


class ClinicDaySerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    weekday = serializers.CharField()
    headline = serializers.CharField()
    visit_count = serializers.IntegerField()
    items = MatchSerializer(many=True)


class PractitionerSerializer(serializers.Serializer[Any]):
    practitioner_id = serializers.CharField(
        max_length=64, help_text="Your FHIR Practitioner id in the EHR you upload bundles from."
    )


# --- Views ------------------------------------------------------------------------------------


class CataloguePagination(LimitOffset):
    default_limit = 50
    max_limit = 200


def _me(request: Request) -> User:
    # IsAuthenticated (the default permission) has run: this is a signed-in User.
    return cast(User, request.user)


class LearningResourceListApi(generics.ListAPIView[LearningResource]):
    """The catalogue: every active learning resource, filterable by words, kind, competency
    code or clinical code."""

    serializer_class = LearningResourceSerializer
    pagination_class = CataloguePagination

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words in title, description or keywords"),
            OpenApiParameter("kind", str, enum=LearningResource.Kind.values),
            OpenApiParameter("competency", str, description="Competency code, e.g. PC3"),
            OpenApiParameter("code", str, description="E11.9, icd10cm:E11.9 or snomed:44054006"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        return catalogue_list(
            q=params.get("q", "").strip()[:100],
            kind=params.get("kind", ""),
            competency=params.get("competency", "").strip()[:30],
            code=params.get("code", "").strip()[:80],
        )


class LearningResourceDetailApi(generics.RetrieveAPIView[LearningResource]):
    """One learning resource with its competencies and clinical codes."""

    serializer_class = LearningResourceSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return resource_detail()


class RecommendationListApi(APIView):
    """Your recommendations, best first, each with its reason in words. Done, dismissed and
    not-relevant resources are left out; your feedback changes the order."""

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="How many (1–50, default 10)")],
        responses=RecommendationSerializer(many=True),
        operation_id="learning_recommendations_list",
    )
    def get(self, request: Request) -> Response:
        try:
            limit = min(max(int(request.query_params.get("limit", 10)), 1), 50)
        except ValueError as exc:
            raise ParseError("limit must be a whole number from 1 to 50.") from exc
        items = recommendations_for(learner=_me(request), limit=limit)
        return Response(RecommendationSerializer(items, many=True).data)


class ResourceFeedbackApi(APIView):
    """Tell us about a resource: done / undone, helpful / not relevant / clear rating,
    dismiss / restore. The next ranking takes it into account."""

    @extend_schema(
        request=FeedbackRequestSerializer,
        responses={
            200: FeedbackStateSerializer,
            400: OpenApiResponse(description="Field errors"),
            404: OpenApiResponse(description="No such resource"),
        },
        operation_id="learning_resource_feedback",
    )
    def post(self, request: Request, pk: int) -> Response:
        resource = get_object_or_404(resource_detail(), pk=pk)
        incoming = FeedbackRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        feedback = recommendation_feedback(
            learner=_me(request),
            resource=resource,
            action=incoming.validated_data["action"],
            reason=incoming.validated_data.get("reason", ""),
        )
        return Response(FeedbackStateSerializer(feedback).data)


class ResourceEvidenceCreateApi(APIView):
    """Mark a resource done and add it to your portfolio as evidence, in one step. Repeating
    it returns the same evidence."""

    @extend_schema(
        request=EvidenceRequestSerializer,
        responses={
            201: EvidenceCreatedSerializer,
            404: OpenApiResponse(description="No such resource"),
        },
        operation_id="learning_resource_evidence_create",
    )
    def post(self, request: Request, pk: int) -> Response:
        resource = get_object_or_404(resource_detail(), pk=pk)
        me = _me(request)
        incoming = EvidenceRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        evidence = recommendation_evidence_create(
            learner=me, resource=resource, reason=incoming.validated_data.get("reason", "")
        )
        feedback = feedback_of(learner=me)[resource.pk]
        data = {"evidence_id": evidence.pk, "title": evidence.title, "feedback": feedback}
        return Response(EvidenceCreatedSerializer(data).data, status=status.HTTP_201_CREATED)


class UpcomingVisitListApi(generics.ListAPIView[UpcomingVisit]):
    """Your upcoming visits (booked, planned or arrived; today or later): dates and reason
    codes only — never anything about the patient."""

    serializer_class = UpcomingVisitSerializer
    pagination_class = CataloguePagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return visits_of(learner=_me(self.request))


class UpcomingVisitDetailApi(generics.RetrieveDestroyAPIView[UpcomingVisit]):
    """One of your visits; DELETE removes it from your list."""

    serializer_class = UpcomingVisitSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return visits_owned_by(learner=_me(self.request))

    def perform_destroy(self, instance: UpcomingVisit) -> None:
        visit_delete(visit=instance)


class VisitBundleUploadApi(APIView):
    """Upload a FHIR R4 Bundle of Appointment / Encounter resources for your upcoming visits.

    Send the Bundle as the body (`application/fhir+json` or `application/json`) or as a file
    field `bundle` (multipart). Entries are checked one by one: the answer lists every entry
    with its outcome and reason. Valid entries are kept even when others fail; the same bundle
    twice changes nothing. Patient resources, names and identifiers are never stored.
    `?practitioner=<id>` sets your Practitioner id (remembered for next time).
    """

    parser_classes = [FhirJsonParser, PlainJsonBundleParser, MultiPartParser]

    @extend_schema(
        request={
            "application/fhir+json": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": VisitUploadFormSerializer,
        },
        parameters=[OpenApiParameter("practitioner", str, description="Your Practitioner id")],
        responses={
            200: VisitUploadReportSerializer,
            400: OpenApiResponse(description="Not JSON, or not a Bundle"),
            413: OpenApiResponse(description="Too large or too many entries"),
        },
        operation_id="learning_visits_upload",
    )
    def post(self, request: Request) -> Response:
        content: bytes
        practitioner = request.query_params.get("practitioner", "")
        data: Any = request.data
        if isinstance(data, bytes):
            content = data
        else:
            upload = data.get("bundle")
            if upload is None or not hasattr(upload, "read"):
                raise ParseError("Send the Bundle as the request body or as a file 'bundle'.")
            if upload.size > max_bytes():
                raise PayloadTooLarge()
            content = upload.read()
            practitioner = practitioner or str(data.get("practitioner", ""))
        try:
            report = visits_upload(
                learner=_me(request), content=content, practitioner_id=practitioner
            )
        except BundleError as exc:
            return Response({"detail": exc.detail}, status=exc.status)
        return Response(VisitUploadReportSerializer(report).data)


class UpcomingLearningApi(APIView):
    """Anticipatory learning: for each clinic day in the next week, up to three short
    refreshers matched to the visits' reasons, each with the reason in words."""

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="How many days ahead (1–14)")],
        responses=ClinicDaySerializer(many=True),
        operation_id="learning_upcoming_list",
    )
    def get(self, request: Request) -> Response:
        try:
            days = min(max(int(request.query_params.get("days", 7)), 1), 14)
        except ValueError as exc:
            raise ParseError("days must be a whole number from 1 to 14.") from exc
        clinic_days = anticipatory_learning_for(learner=_me(request), days=days)
        return Response(ClinicDaySerializer(clinic_days, many=True).data)


class PractitionerApi(APIView):
    """Your FHIR Practitioner id for bundles you upload: visits are kept only when you take
    part in them."""

    @extend_schema(
        responses={
            200: PractitionerSerializer,
            404: OpenApiResponse(description="No practitioner identity recorded yet"),
        },
        operation_id="learning_practitioner_retrieve",
    )
    def get(self, request: Request) -> Response:
        link = practitioner_link_of(learner=_me(request))
        if link is None:
            return Response({"detail": "Not set yet."}, status=status.HTTP_404_NOT_FOUND)
        return Response(PractitionerSerializer({"practitioner_id": link.practitioner_id}).data)

    @extend_schema(
        request=PractitionerSerializer,
        responses={200: PractitionerSerializer, 400: OpenApiResponse(description="Field errors")},
        operation_id="learning_practitioner_update",
    )
    def put(self, request: Request) -> Response:
        incoming = PractitionerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        link = practitioner_link_set(
            learner=_me(request), practitioner_id=incoming.validated_data["practitioner_id"]
        )
        return Response(PractitionerSerializer({"practitioner_id": link.practitioner_id}).data)


CATALOGUE_MAX_BYTES = 5 * 1024 * 1024


class CatalogueUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The catalogue as CSV or JSON (docs/learning.md).")


class CatalogueImportResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    pairs_created = serializers.IntegerField()


class CatalogueImportApi(APIView):
    """Import the learning catalogue (administrators who may add resources; 404 for anyone
    else). All rows or none: 400 lists every problem with its line or item and field."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": CatalogueUploadSerializer},
        responses={200: CatalogueImportResultSerializer},
        operation_id="learning_catalogue_import",
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("learning.add_learningresource"):
            raise Http404
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError("Send the catalogue as a multipart field named 'file'.")
        if upload.size is not None and upload.size > CATALOGUE_MAX_BYTES:
            return Response(
                {"detail": "The file is larger than 5 MB."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            result = catalogue_import(
                content=upload.read(), filename=upload.name or "", by=cast(User, request.user)
            )
        except CatalogueError as error:
            return Response(
                {
                    "detail": f"Nothing was imported: {len(error.errors)} problem(s).",
                    "errors": [
                        {"where": e.where, "field": e.field, "message": e.message}
                        for e in error.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(CatalogueImportResultSerializer(result).data)

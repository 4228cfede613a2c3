"""Frameworks in /api/v1/: list, detail, export in every format, import, the public flag and
links between frameworks (docs/frameworks.md, "API"). Reading is for every signed-in person
(frameworks are reference data); importing, publishing and linking are for administrators
with the matching model permission (403 for anyone else)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import LimitOffset, created_response
from frameworks import exporters
from frameworks.case import PATH as CASE_PATH
from frameworks.importers import FORMATS, Format, FrameworkImportError, as_format
from frameworks.models import (
    Competency,
    CompetencyLink,
    Framework,
    LevelDescriptor,
    RatingScale,
    ScaleLevel,
)
from frameworks.selectors import competency_links, framework_detail, framework_list
from frameworks.services import (
    CompetencyLinkError,
    competency_link_create,
    competency_link_delete,
    framework_import,
    framework_publish,
)


class CompetencyOfItemSerializer(serializers.ModelSerializer[Competency]):
    """A competency an item is tagged with, named by framework code and version."""

    framework = serializers.CharField(source="framework.code", read_only=True)
    version = serializers.CharField(source="framework.version", read_only=True)

    class Meta:
        model = Competency
        fields = ["id", "code", "title", "framework", "version"]


class ScaleLevelSerializer(serializers.ModelSerializer[ScaleLevel]):
    class Meta:
        model = ScaleLevel
        fields = ["value", "label", "anchor"]


class RatingScaleSerializer(serializers.ModelSerializer[RatingScale]):
    levels = ScaleLevelSerializer(many=True)

    class Meta:
        model = RatingScale
        fields = ["code", "name", "kind", "levels"]


class LevelDescriptorSerializer(serializers.ModelSerializer[LevelDescriptor]):
    class Meta:
        model = LevelDescriptor
        fields = ["level", "text"]


class CompetencySerializer(serializers.ModelSerializer[Competency]):
    # DRF's Field.parent (the enclosing serializer) shares the name; at runtime the metaclass
    # moves declared fields out of the class, so only the type checker sees a clash.
    parent: serializers.SlugRelatedField[Competency] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )
    ratable = serializers.BooleanField(
        source="is_ratable",
        read_only=True,
        help_text="True for leaves of the tree (sub-competencies, EPAs): the items people rate.",
    )
    descriptors = LevelDescriptorSerializer(many=True)

    class Meta:
        model = Competency
        fields = [
            "id",
            "code",
            "title",
            "description",
            "order",
            "parent",
            "ratable",
            "uuid",
            "descriptors",
        ]


class FrameworkSummarySerializer(serializers.ModelSerializer[Framework]):
    scale: serializers.SlugRelatedField[RatingScale] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    competency_count = serializers.IntegerField(
        read_only=True, help_text="Every node of the tree, domains included."
    )
    ratable_count = serializers.IntegerField(
        read_only=True, help_text="Leaves of the tree: the items people rate."
    )

    class Meta:
        model = Framework
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "effective_date",
            "source",
            "scale",
            "public",
            "uuid",
            "competency_count",
            "ratable_count",
        ]
        extra_kwargs = {
            "public": {"help_text": "Served by the CASE REST API without a token."},
            "uuid": {"help_text": "The CASE CFDocument identifier of this version."},
        }


class FrameworkDetailSerializer(serializers.ModelSerializer[Framework]):
    scale = RatingScaleSerializer()
    competencies = CompetencySerializer(many=True)

    class Meta:
        model = Framework
        fields = [
            "code",
            "version",
            "name",
            "kind",
            "effective_date",
            "source",
            "source_url",
            "licence_note",
            "public",
            "uuid",
            "scale",
            "competencies",
        ]


class FrameworkListApi(generics.ListAPIView[Framework]):
    """Every framework version, newest version first within a code."""

    serializer_class = FrameworkSummarySerializer
    pagination_class = LimitOffset

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return framework_list()


class FrameworkDetailApi(generics.RetrieveAPIView[Framework]):
    """One framework version with its competency tree, level descriptors and scale."""

    serializer_class = FrameworkDetailSerializer

    def get_object(self) -> Framework:
        return get_object_or_404(
            framework_detail(),
            code=self.kwargs["code"],
            version=self.kwargs["version"],
        )


_EXPORT_TYPES = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, "text/csv"): OpenApiTypes.STR,
    (200, "application/xml"): OpenApiTypes.STR,
}


class FrameworkExportApi(APIView):
    """One version as a file: `json` (our schema), `csv` (our layout), `case` (a CASE 1.0
    CFPackage) or `medbiq` (MedBiquitous Competency Framework XML). Each imports back as is."""

    @extend_schema(
        operation_id="frameworks_export",
        parameters=[
            OpenApiParameter(
                "fmt",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(FORMATS),
                description="json, csv, case or medbiq",
            )
        ],
        responses={**_EXPORT_TYPES, 404: OpenApiResponse(description="No such version or format")},
    )
    def get(self, request: Request, code: str, version: str, fmt: str) -> HttpResponse:
        file_format = as_format(fmt) if fmt in FORMATS else None
        if file_format is None:
            raise Http404
        framework = get_object_or_404(framework_detail(), code=code, version=version)
        content = exporters.export_file(
            framework, file_format, case_base=request.build_absolute_uri(CASE_PATH)
        )
        response = HttpResponse(content, content_type=exporters.CONTENT_TYPES[file_format])
        filename = exporters.export_filename(framework, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class FrameworkUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="The framework: our JSON or CSV, a CASE 1.0 package or MedBiquitous XML."
    )
    format = serializers.ChoiceField(
        choices=list(FORMATS),
        required=False,
        help_text="Default: from the file name (.json, .csv, .xml) and, for JSON, its content.",
    )


class FrameworkImportResultSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    version = serializers.CharField()
    created = serializers.BooleanField(help_text="False when this version was already there.")
    message = serializers.CharField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Deviations the importer accepted, each naming the item.",
    )


class FrameworkImportErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text="Where and what: one message; nothing was written.")
    # Absent when the request is refused before the importer reads it (e.g. a NUL in a form
    # field, refused for every endpoint with `detail` alone).
    where = serializers.CharField(
        required=False, help_text="The place in the file (a path, line or item)."
    )


def _require(request: Request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied("Only administrators of frameworks may do this.")


class FrameworkImportApi(APIView):
    """Import a framework version (administrators), all or nothing, with the same importer and
    messages as `manage.py import_framework`: 201 for a new version, 200 when the same version
    is already there unchanged, 400 naming the place at fault, 413 over the size limit."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="frameworks_import",
        request={"multipart/form-data": FrameworkUploadSerializer},
        responses={
            201: FrameworkImportResultSerializer,
            200: FrameworkImportResultSerializer,
            400: FrameworkImportErrorSerializer,
            413: OpenApiResponse(description="The file is over FRAMEWORK_IMPORT_MAX_BYTES"),
        },
    )
    def post(self, request: Request) -> Response:
        _require(request, "frameworks.add_framework")
        upload = request.FILES.get("file")
        if upload is None:
            raise ParseError("Send the framework as a multipart field named 'file'.")
        raw_format = request.POST.get("format") or ""
        fmt: Format | None = None
        if raw_format:
            fmt = as_format(str(raw_format)) if raw_format in FORMATS else None
            if fmt is None:
                return Response(
                    {
                        "detail": f"format must be one of {', '.join(FORMATS)}.",
                        "format": ["Not a known format."],
                    },
                    status=status.HTTP_400_BAD_REQUEST,
                )
        limit = settings.FRAMEWORK_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            return Response(
                {"detail": f"The file is {upload.size:,} bytes; the limit is {limit:,} bytes."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            result = framework_import(
                file=upload,
                fmt=fmt,
                filename=upload.name or "",
                size=upload.size,
                by=cast(User, request.user),
            )
        except FrameworkImportError as exc:
            return Response(
                {"detail": str(exc), "where": exc.location},
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = FrameworkImportResultSerializer(
            {
                "code": result.framework.code,
                "version": result.framework.version,
                "created": result.created,
                "message": result.message,
                "warnings": list(result.warnings),
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


class FrameworkPublishSerializer(serializers.Serializer[Any]):
    public = serializers.BooleanField(
        help_text="True: the CASE REST API serves this version to anyone, without a token."
    )


class FrameworkPublishApi(APIView):
    """Serve a version publicly through the CASE REST API, or with a token only
    (administrators)."""

    @extend_schema(
        operation_id="frameworks_publish",
        request=FrameworkPublishSerializer,
        responses={200: FrameworkSummarySerializer},
    )
    def post(self, request: Request, code: str, version: str) -> Response:
        _require(request, "frameworks.change_framework")
        serializer = FrameworkPublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        framework = get_object_or_404(framework_list(), code=code, version=version)
        framework_publish(
            framework=framework,
            public=serializer.validated_data["public"],
            by=cast(User, request.user),
        )
        return Response(FrameworkSummarySerializer(framework).data)


class LinkEndSerializer(serializers.ModelSerializer[Competency]):
    framework = serializers.CharField(source="framework.code", read_only=True)
    version = serializers.CharField(source="framework.version", read_only=True)

    class Meta:
        model = Competency
        fields = ["id", "uuid", "code", "title", "framework", "version"]


class CompetencyLinkSerializer(serializers.ModelSerializer[CompetencyLink]):
    origin = LinkEndSerializer(read_only=True)
    destination = LinkEndSerializer(read_only=True)

    class Meta:
        model = CompetencyLink
        fields = ["id", "uuid", "kind", "origin", "destination", "created_at"]


class CompetencyLinkCreateSerializer(serializers.Serializer[Any]):
    origin = serializers.PrimaryKeyRelatedField(
        queryset=Competency.objects.select_related("framework"),
        help_text="The competency id of the item the link starts from (e.g. a Core EPA).",
    )
    destination = serializers.PrimaryKeyRelatedField(
        queryset=Competency.objects.select_related("framework"),
        help_text="The competency id of an item of another framework (e.g. a sub-competency).",
    )
    kind = serializers.ChoiceField(
        choices=CompetencyLink.Kind.choices, default=CompetencyLink.Kind.RELATED
    )


class CompetencyLinkListApi(generics.ListAPIView[CompetencyLink]):
    """Links between frameworks (GET: every signed-in person; POST: administrators). A link
    made twice is made once: the second call answers 200 with the stored link."""

    serializer_class = CompetencyLinkSerializer
    pagination_class = LimitOffset

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return competency_links()

    @extend_schema(
        operation_id="frameworks_links_create",
        request=CompetencyLinkCreateSerializer,
        responses={201: CompetencyLinkSerializer, 200: CompetencyLinkSerializer},
    )
    def post(self, request: Request) -> Response:
        _require(request, "frameworks.add_competencylink")
        serializer = CompetencyLinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            link, created = competency_link_create(
                origin=serializer.validated_data["origin"],
                destination=serializer.validated_data["destination"],
                kind=serializer.validated_data["kind"],
                by=cast(User, request.user),
            )
        except CompetencyLinkError as exc:
            return Response(
                {"detail": str(exc), "destination": [str(exc)]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        link = competency_links().get(pk=link.pk)
        return created_response(CompetencyLinkSerializer(link).data, created=created)


class CompetencyLinkDetailApi(APIView):
    """Remove a link between frameworks (administrators)."""

    # The path takes any segment, not only digits: with an `int` converter, a DELETE of
    # `links/abc/` fell through to the framework route (`<code>/<version>/`) and got its 405.
    @extend_schema(
        operation_id="frameworks_links_delete",
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        responses={204: None},
    )
    def delete(self, request: Request, pk: str) -> Response:
        _require(request, "frameworks.delete_competencylink")
        if not pk.isdecimal():
            raise Http404
        link = get_object_or_404(competency_links(), pk=int(pk))
        competency_link_delete(link=link, by=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

"""The procedure and case log in `/api/v1/`: typed serializers shape, services write.

A learner's entries are their own; an entry to verify is the supervisor's it names; a
program's procedure list is its directors' and coordinators'. What someone may not see is a
404; deleting a verified entry is a 409."""

from __future__ import annotations

from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from caselog import services
from caselog.models import CaseLogEntry, Procedure
from caselog.selectors import (
    entries_of,
    entries_to_verify,
    entry_for_supervisor,
    procedures_of,
    procedures_to_log,
    program_listed_by,
    totals_of,
)
from core.api import LimitOffset, created_response, cursor
from portfolio.services import access_log_record_official
from programs.models import Program


def _user(request: Request) -> User:
    return cast(User, request.user)


class ProcedureSerializer(serializers.ModelSerializer[Procedure]):
    class Meta:
        model = Procedure
        fields = ["id", "code", "name", "minimum", "is_active"]


class ProcedureWriteSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=services.CODE_MAX)
    name = serializers.CharField(max_length=services.NAME_MAX)
    minimum = serializers.IntegerField(min_value=0, max_value=services.MINIMUM_MAX, default=0)
    is_active = serializers.BooleanField(default=True)


class CaseLogPersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EntrySerializer(serializers.ModelSerializer[CaseLogEntry]):
    procedure = ProcedureSerializer(read_only=True)
    supervisor = CaseLogPersonSerializer(read_only=True)
    verified = serializers.BooleanField(source="is_verified", read_only=True)

    class Meta:
        model = CaseLogEntry
        fields = [
            "id",
            "public_id",
            "procedure",
            "performed_on",
            "role",
            "site",
            "supervisor",
            "age_band",
            "sex",
            "notes",
            "verified",
            "verified_at",
            "created_at",
        ]


class EntryToVerifySerializer(EntrySerializer):
    learner = CaseLogPersonSerializer(read_only=True)

    class Meta(EntrySerializer.Meta):
        fields = [*EntrySerializer.Meta.fields, "learner"]


class EntryWriteSerializer(serializers.Serializer[Any]):
    procedure = serializers.IntegerField(min_value=1)
    performed_on = serializers.DateField()
    role = serializers.ChoiceField(choices=CaseLogEntry.Role.choices)
    supervisor = serializers.IntegerField(min_value=1)
    age_band = serializers.ChoiceField(choices=CaseLogEntry.AgeBand.choices)
    sex = serializers.ChoiceField(choices=CaseLogEntry.Sex.choices)
    site = serializers.CharField(
        max_length=services.SITE_MAX, required=False, default="", allow_blank=True
    )
    notes = serializers.CharField(
        max_length=services.NOTES_MAX, required=False, default="", allow_blank=True
    )
    client_token = serializers.UUIDField(required=False, allow_null=True, default=None)


class TotalSerializer(serializers.Serializer[Any]):
    procedure_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    program = serializers.CharField()
    minimum = serializers.IntegerField()
    logged = serializers.IntegerField()
    verified = serializers.IntegerField()
    counted = serializers.IntegerField(help_text="Verified entries performed or supervised.")
    still_needed = serializers.IntegerField()
    met = serializers.BooleanField()


class ProcedureUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()


class ImportedSerializer(serializers.Serializer[Any]):
    added = serializers.IntegerField()
    changed = serializers.IntegerField()


class ProblemSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


ImportFailureSerializer = inline_serializer(
    "ProcedureImportFailure",
    {
        "detail": serializers.CharField(),
        # Absent when the request is refused before the file is read (a NUL in a form field).
        "errors": ProblemSerializer(many=True, required=False),
    },
)


# --- The learner's log ----------------------------------------------------------------------


class EntryListApi(APIView):
    """The caller's case log, newest first; log a case."""

    pagination_class = cursor(("-performed_on", "-id"))

    @extend_schema(responses=EntrySerializer(many=True), operation_id="caselog_entry_list")
    def get(self, request: Request) -> Response:
        entries = entries_of(viewer=_user(request), learner=_user(request))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(EntrySerializer(page, many=True).data)

    @extend_schema(
        request=EntryWriteSerializer,
        responses={
            201: EntrySerializer,
            200: OpenApiResponse(EntrySerializer, description="Same client token"),
            400: OpenApiResponse(
                description="Field errors (a patient identifier in the site or notes among "
                "them); nothing was written"
            ),
        },
        operation_id="caselog_entry_create",
    )
    def post(self, request: Request) -> Response:
        serializer = EntryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entry, created = services.caselog_entry_record(
            learner=_user(request),
            procedure_id=data["procedure"],
            performed_on=data["performed_on"],
            role=data["role"],
            supervisor_id=data["supervisor"],
            age_band=data["age_band"],
            sex=data["sex"],
            site=data["site"],
            notes=data["notes"],
            client_token=data["client_token"],
        )
        entry = entries_of(viewer=_user(request), learner=_user(request)).get(pk=entry.pk)
        return created_response(EntrySerializer(entry).data, created=created)


class EntryDetailApi(APIView):
    """One of the caller's entries: read it, or delete it while it is not verified."""

    def _get(self, request: Request, pk: int) -> CaseLogEntry:
        return get_object_or_404(entries_of(viewer=_user(request), learner=_user(request)), pk=pk)

    @extend_schema(responses=EntrySerializer, operation_id="caselog_entry_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(EntrySerializer(self._get(request, pk)).data)

    @extend_schema(
        responses={204: None, 409: OpenApiResponse(description="The entry is verified")},
        operation_id="caselog_entry_delete",
    )
    def delete(self, request: Request, pk: int) -> Response:
        try:
            services.caselog_entry_delete(entry=self._get(request, pk))
        except services.EntryVerifiedError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotalsApi(APIView):
    """The caller's totals per procedure against their programs' minimums."""

    @extend_schema(responses=TotalSerializer(many=True), operation_id="caselog_totals")
    def get(self, request: Request) -> Response:
        totals = totals_of(viewer=_user(request), learner=_user(request))
        return Response(TotalSerializer(totals, many=True).data)


class ProceduresToLogApi(APIView):
    """The procedures the caller may log now (their current programs' lists)."""

    @extend_schema(
        responses=ProcedureSerializer(many=True), operation_id="caselog_procedure_choices"
    )
    def get(self, request: Request) -> Response:
        return Response(
            ProcedureSerializer(procedures_to_log(learner=_user(request)), many=True).data
        )


# --- The supervisor -------------------------------------------------------------------------


class EntriesToVerifyApi(APIView):
    """Entries that name the caller as supervisor and wait for verification, oldest first."""

    pagination_class = cursor(("performed_on", "id"))

    @extend_schema(
        responses=EntryToVerifySerializer(many=True), operation_id="caselog_entries_to_verify"
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = (
            paginator.paginate_queryset(
                entries_to_verify(supervisor=_user(request)), request, view=self
            )
            or []
        )
        access_log_record_official(
            viewer=_user(request),
            reads=[(e.learner_id, "caselogentry", e.pk, str(e)) for e in page],
        )
        return paginator.get_paginated_response(EntryToVerifySerializer(page, many=True).data)


class EntryVerifyApi(APIView):
    """Verify an entry that names the caller as supervisor. Verifying twice changes nothing."""

    @extend_schema(
        request=None, responses=EntryToVerifySerializer, operation_id="caselog_entry_verify"
    )
    def post(self, request: Request, pk: int) -> Response:
        entry = entry_for_supervisor(user=_user(request), pk=pk)
        if entry is None:
            raise NotFound()
        entry = services.caselog_entry_verify(entry=entry, by=_user(request))
        return Response(EntryToVerifySerializer(entry).data)


# --- The program's procedure list -----------------------------------------------------------


def _program(request: Request, program_id: int) -> Program:
    program = program_listed_by(user=_user(request), program_id=program_id)
    if program is None:
        raise NotFound()
    return program


class ProcedureListApi(APIView):
    """The program's procedure list (`limit`/`offset` pages); add a procedure or change the
    one with the code."""

    pagination_class = LimitOffset

    @extend_schema(responses=ProcedureSerializer(many=True), operation_id="program_procedures_list")
    def get(self, request: Request, program_id: int) -> Response:
        procedures = procedures_of(program=_program(request, program_id))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(procedures, request, view=self)
        return paginator.get_paginated_response(ProcedureSerializer(page, many=True).data)

    @extend_schema(
        request=ProcedureWriteSerializer,
        responses={
            201: ProcedureSerializer,
            200: OpenApiResponse(ProcedureSerializer, description="The code's procedure changed"),
        },
        operation_id="program_procedures_save",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _program(request, program_id)
        serializer = ProcedureWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        procedure, created = services.procedure_save(
            program=program, by=_user(request), **serializer.validated_data
        )
        return created_response(ProcedureSerializer(procedure).data, created=created)


class ProcedureImportApi(APIView):
    """Import the program's procedure list from CSV (multipart field `file`). All rows or
    none; a 400 names every problem with its line and column."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ProcedureUploadSerializer},
        responses={
            201: ImportedSerializer,
            400: ImportFailureSerializer,
            413: OpenApiResponse(description="Larger than 1 MB"),
        },
        operation_id="program_procedures_import",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _program(request, program_id)
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"detail": "Send the CSV as a multipart field named 'file'.", "errors": []},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if upload.size is not None and upload.size > services.IMPORT_MAX_BYTES:
            return Response(
                {"detail": "The file is larger than 1 MB."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            added, changed = services.procedures_import(
                program=program, by=_user(request), data=upload.read()
            )
        except services.ProcedureImportError as error:
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
        return Response({"added": added, "changed": changed}, status=status.HTTP_201_CREATED)

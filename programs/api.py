"""The programs API: set-up, cohorts, enrollments, roster import, expected levels, review
periods.

Same rules as the pages: the program is looked up through `programs.selectors`, so someone
without a role in it gets 404. Serializers shape and validate; services write.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import Cursor, cursor
from frameworks.models import Framework
from programs import services
from programs.forms import period_values, program_defaults
from programs.models import (
    Cohort,
    Enrollment,
    Expectation,
    Institution,
    Invitation,
    Program,
    ProgramRole,
    ReviewPeriod,
)
from programs.selectors import (
    enrollments_in,
    program_competencies,
    programs_managed_by,
    programs_visible_to,
    review_periods_of,
    roles_of,
)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


def _managed(request: Request, program_id: int) -> Program:
    return get_object_or_404(programs_managed_by(user=_user(request)), pk=program_id)


def _visible(request: Request, program_id: int) -> Program:
    return get_object_or_404(programs_visible_to(user=_user(request)), pk=program_id)


def _period(program: Program, period_id: int) -> ReviewPeriod:
    return get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)


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


class EnrollmentUpdateSerializer(serializers.Serializer[Any]):
    training_year = serializers.IntegerField(min_value=1, max_value=10)
    cohort = serializers.IntegerField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)


class EnrollmentDetailApi(APIView):
    """One enrollment of the program: move the learner to another year or cohort, or end it."""

    @extend_schema(
        request=EnrollmentUpdateSerializer,
        responses=EnrollmentSerializer,
        operation_id="program_enrollments_update",
    )
    def patch(self, request: Request, program_id: int, enrollment_id: int) -> Response:
        program = _managed(request, program_id)
        enrollment = get_object_or_404(
            enrollments_in(program=program).select_related("program"), pk=enrollment_id
        )
        current = {
            "training_year": enrollment.training_year,
            "cohort": enrollment.cohort_id,
            "end_date": enrollment.end_date,
        }
        data = EnrollmentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {**current, **data.validated_data}
        cohort = _cohort_of(program, values.pop("cohort"))
        enrollment = services.enrollment_update(
            enrollment=enrollment, cohort=cohort, by=_user(request), **values
        )
        return Response(EnrollmentSerializer(enrollment).data)


class ProgramRoleSerializer(serializers.ModelSerializer[ProgramRole]):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")

    class Meta:
        model = ProgramRole
        fields = ["id", "email", "name", "role"]
        read_only_fields = fields


class ProgramRoleGrantSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=ProgramRole.Role.choices)


class ProgramRoleListApi(APIView):
    """Who holds which role in the program; POST gives someone (by email) a role."""

    @extend_schema(responses=ProgramRoleSerializer(many=True), operation_id="program_roles_list")
    def get(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        roles = (
            ProgramRole.objects.filter(program=program)
            .select_related("user")
            .order_by("role", "user__email")
        )
        return Response(ProgramRoleSerializer(roles, many=True).data)

    @extend_schema(
        request=ProgramRoleGrantSerializer,
        responses={201: ProgramRoleSerializer},
        operation_id="program_roles_grant",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        data = ProgramRoleGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role = services.program_role_grant(
            program=program, by=_user(request), **data.validated_data
        )
        return Response(ProgramRoleSerializer(role).data, status=status.HTTP_201_CREATED)


class ProgramRoleRevokeApi(APIView):
    """Take a role away (only directors remove directors, never the last one)."""

    @extend_schema(
        request=None, responses={204: None, 409: None}, operation_id="program_roles_revoke"
    )
    def delete(self, request: Request, program_id: int, role_id: int) -> Response:
        program = _managed(request, program_id)
        role = get_object_or_404(
            ProgramRole.objects.filter(program=program).select_related("user", "program"),
            pk=role_id,
        )
        try:
            services.program_role_revoke(program_role=role, by=_user(request))
        except DjangoValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RosterErrorSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class RosterResultSerializer(serializers.Serializer[Any]):
    rows = serializers.IntegerField()
    accounts_created = serializers.IntegerField()
    enrollments_created = serializers.IntegerField()
    enrollments_updated = serializers.IntegerField()
    invited = serializers.IntegerField(default=0, help_text="Invitations emailed.")


RosterFailureSerializer = inline_serializer(
    "RosterFailure",
    {
        "detail": serializers.CharField(),
        # Only a file that was read has line errors; a missing file or a NUL has just `detail`.
        "errors": RosterErrorSerializer(many=True, required=False),
    },
)


class RosterUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    invite = serializers.BooleanField(
        default=False,
        help_text="Email an invitation to every learner in the file who has not signed in yet.",
    )


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


class ProgramUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    specialty = serializers.CharField(max_length=120, allow_blank=True)
    duration_years = serializers.IntegerField(min_value=1, max_value=10)
    review_months = serializers.ChoiceField(choices=[1, 2, 3, 4, 6, 12])
    year_start_month = serializers.IntegerField(min_value=1, max_value=12)
    frameworks = serializers.ListField(child=serializers.IntegerField(), help_text="Framework ids.")


class ProgramDetailApi(APIView):
    @extend_schema(responses=ProgramSerializer, operation_id="programs_retrieve")
    def get(self, request: Request, program_id: int) -> Response:
        program = _visible(request, program_id)
        return Response(ProgramSerializer(program, context={"request": request}).data)

    @extend_schema(
        request=ProgramUpdateSerializer,
        responses=ProgramSerializer,
        operation_id="programs_update",
    )
    def patch(self, request: Request, program_id: int) -> Response:
        """Change the program's settings (its director, coordinators and administrators);
        fields not sent keep their value."""
        program = _managed(request, program_id)
        current = {
            "name": program.name,
            "specialty": program.specialty,
            "duration_years": program.duration_years,
            "review_months": program.review_months,
            "year_start_month": program.year_start_month,
            "frameworks": list(program.frameworks.values_list("pk", flat=True)),
        }
        data = ProgramUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {**current, **data.validated_data}
        frameworks = list(Framework.objects.filter(pk__in=values.pop("frameworks")))
        services.program_update(program=program, frameworks=frameworks, by=_user(request), **values)
        return Response(
            ProgramSerializer(_visible(request, program_id), context={"request": request}).data
        )


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
        cohort = services.cohort_create(program=program, by=_user(request), **data.validated_data)
        return Response(CohortSerializer(cohort).data, status=status.HTTP_201_CREATED)


class EnrollmentPagination(Cursor):
    ordering = "id"
    page_size = 100


class EnrollmentListApi(APIView):
    """Everyone enrolled in the program (current and past), paginated by cursor."""

    # On the view, not only in `get`, so the schema documents the page and not a bare list.
    pagination_class = EnrollmentPagination

    @extend_schema(
        responses=EnrollmentSerializer(many=True), operation_id="program_enrollments_list"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        paginator = self.pagination_class()
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
        enrollment = services.enrollment_create(
            program=program, cohort=cohort, by=_user(request), **values
        )
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
        # Read before importing, so a bad value imports nothing.
        invite = serializers.BooleanField().to_internal_value(request.POST.get("invite", "false"))
        try:
            result = services.roster_import(program=program, data=upload.read(), by=_user(request))
            invited = []
            if invite:
                invited = services.invitations_create_from_roster(
                    program=program, emails=result.emails, by=_user(request)
                )
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
        data = RosterResultSerializer(result).data
        return Response({**data, "invited": len(invited)})


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
        services.expectations_update(program=program, levels=levels, by=_user(request))
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
            by=_user(request),
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
            period=period, by=_user(request), **{**period_values(period), **data.validated_data}
        )
        return Response(ReviewPeriodSerializer(period).data)


# --- Who the caller is --------------------------------------------------------------------


class MeSerializer(serializers.Serializer[object]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    status = serializers.ChoiceField(
        choices=["open", "accepted", "revoked", "expired"], read_only=True
    )
    role_label = serializers.CharField(read_only=True)
    cohort: serializers.PrimaryKeyRelatedField[Cohort] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "name",
            "role",
            "role_label",
            "training_year",
            "cohort",
            "status",
            "created_at",
            "expires_at",
            "accepted_at",
        ]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Invitation.ROLE_CHOICES)
    training_year = serializers.IntegerField(
        min_value=1, max_value=10, required=False, allow_null=True, default=None
    )
    cohort = serializers.IntegerField(required=False, allow_null=True, default=None)


class InvitationListApi(APIView):
    """The program's invitations, newest first; POST invites someone by email (inviting the
    same person to the same role again renews the open invitation)."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(
        responses=InvitationSerializer(many=True), operation_id="program_invitations_list"
    )
    def get(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        invitations = Invitation.objects.filter(program=program).select_related("program")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(invitations, request, view=self)
        return paginator.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        operation_id="program_invitations_create",
    )
    def post(self, request: Request, program_id: int) -> Response:
        program = _managed(request, program_id)
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        cohort = _cohort_of(program, values.pop("cohort"))
        invitation = services.invitation_create(
            program=program, cohort=cohort, by=_user(request), **values
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeApi(APIView):
    """Withdraw an invitation that has not been used: its link stops working."""

    @extend_schema(
        request=None,
        responses={200: InvitationSerializer},
        operation_id="program_invitations_revoke",
    )
    def delete(self, request: Request, program_id: int, invitation_id: int) -> Response:
        program = _managed(request, program_id)
        invitation = get_object_or_404(Invitation.objects.filter(program=program), pk=invitation_id)
        invitation = services.invitation_revoke(invitation=invitation, by=_user(request))
        return Response(InvitationSerializer(invitation).data)


def _cohort_of(program: Program, cohort_id: int | None) -> Cohort | None:
    if cohort_id is None:
        return None
    cohort = Cohort.objects.filter(program=program, pk=cohort_id).first()
    if cohort is None:
        raise DjangoValidationError({"cohort": "No such cohort in this program."})
    return cohort


class InvitationAcceptSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="The token from the invitation's link.")


class InvitationAcceptApi(APIView):
    """Accept an invitation as the signed-in person: only the invited email may, once, before
    it expires; otherwise 403, 404 or 410 with the reason, and nothing changes."""

    @extend_schema(
        request=InvitationAcceptSerializer,
        responses={200: InvitationSerializer},
        operation_id="invitations_accept",
    )
    def post(self, request: Request) -> Response:
        data = InvitationAcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            invitation = services.invitation_from_token(data.validated_data["token"])
            invitation = services.invitation_accept(invitation=invitation, user=_user(request))
        except services.InvitationRefused as refusal:
            return Response({"detail": refusal.message}, status=refusal.status)
        return Response(InvitationSerializer(invitation).data)


class MeRetrieveApi(APIView):
    """Who the caller is: the lightest authenticated endpoint (the stack's fixed cost)."""

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,  # type: ignore[union-attr]
            "name": user.name,  # type: ignore[union-attr]
            "roles": sorted(roles_of(user=user)),  # type: ignore[arg-type]
        }
        return Response(MeSerializer(data).data)

"""Erasing one's own account through the API: `GET /api/v1/me/erase/` says what would go and
what would stay; `POST` with the password (and `confirm: true`) erases it. The same service and
rules as the page (docs/privacy.md)."""

from __future__ import annotations

from typing import Any, cast

from allauth.core import ratelimit
from django.contrib.auth import logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from privacy.selectors import PreviewLine, erasure_preview
from privacy.services import ErasureRefusedError, account_erase


class PreviewLineSerializer(serializers.Serializer[PreviewLine]):
    # DRF's metaclass takes declared fields off the class, so this shadows nothing at run time.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    detail = serializers.CharField(help_text="What changes in the kept rows; may be empty.")


class ErasurePreviewSerializer(serializers.Serializer[Any]):
    erased = PreviewLineSerializer(many=True, help_text="Removed for good.")
    kept = PreviewLineSerializer(
        many=True, help_text="Records others need; they stay under an anonymised name."
    )
    blockers = serializers.ListField(
        child=serializers.CharField(), help_text="Why erasing is refused now; empty if it is not."
    )
    password_required = serializers.BooleanField()


class ErasureRequestSerializer(serializers.Serializer[Any]):
    password = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False, write_only=True
    )
    confirm = serializers.BooleanField(help_text="Must be true.")

    def validate_confirm(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Set confirm to true to erase the account.")
        return value


class ErasureResultSerializer(serializers.Serializer[Any]):
    erased = PreviewLineSerializer(many=True)
    kept = PreviewLineSerializer(many=True)
    stub_label = serializers.CharField(
        help_text="The anonymised name kept records now show; empty when nothing was kept."
    )


class ErasureRefusedSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    blockers = serializers.ListField(child=serializers.CharField())


class MeEraseApi(APIView):
    """The caller's own account: what erasing it does, and erasing it."""

    @extend_schema(responses=ErasurePreviewSerializer, operation_id="me_erase_preview")
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        preview = erasure_preview(user=user)
        data = {
            "erased": preview.erased,
            "kept": preview.kept,
            "blockers": preview.blockers,
            "password_required": user.has_usable_password(),
        }
        return Response(ErasurePreviewSerializer(data).data)

    @extend_schema(
        request=ErasureRequestSerializer,
        responses={
            200: ErasureResultSerializer,
            400: OpenApiResponse(description="Wrong or missing password, or confirm not true"),
            429: OpenApiResponse(description="Too many password attempts; wait a minute"),
            409: OpenApiResponse(
                ErasureRefusedSerializer,
                description="Something stands in the way (e.g. the only director of a program)",
            ),
        },
        operation_id="me_erase",
    )
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        if not ratelimit.consume(request._request, action="reauthenticate", user=user):
            raise Throttled(detail="Too many password attempts. Wait a minute, then try again.")
        incoming = ErasureRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if not user.has_usable_password():
            raise serializers.ValidationError(
                {
                    "password": [
                        "Your account signs in without a password: erase it from the account "
                        "settings page, which confirms it is you through your sign-in provider."
                    ]
                }
            )
        if not user.check_password(incoming.validated_data["password"]):
            raise serializers.ValidationError({"password": ["That is not your password."]})
        try:
            result = account_erase(user=user)
        except ErasureRefusedError as error:
            return Response(
                {"detail": " ".join(error.messages), "blockers": error.messages},
                status=status.HTTP_409_CONFLICT,
            )
        logout(request._request)
        data = {"erased": result.erased, "kept": result.kept, "stub_label": result.stub_label}
        return Response(ErasureResultSerializer(data).data)

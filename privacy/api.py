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
from accounts.sessions import merge_proof_forget, merge_proof_of
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


class MergeRequestSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(
        required=False,
        help_text="The other account's e-mail address. Leave out, with the password, to use "
        "the proof a sign-in through an identity provider left in this session (the merge "
        "page starts that sign-in).",
    )
    password = serializers.CharField(trim_whitespace=False, write_only=True, required=False)
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        write_only=True,
        help_text="When the other account uses two-factor authentication: a current code of "
        "its authenticator app or one of its recovery codes.",
    )
    confirm = serializers.BooleanField(help_text="Must be true.")


class MergeResultSerializer(serializers.Serializer[Any]):
    moved = serializers.IntegerField(help_text="Rows that now belong to this account.")


class MeMergeApi(APIView):
    """Merge another account of the caller into the caller's: the other account's address
    and password prove it, or a fresh sign-in to it through an identity provider that the
    merge page started in this session; an account with two-factor authentication also needs
    its code (docs/sso.md). The same form rules and service as the page."""

    @extend_schema(
        request=MergeRequestSerializer,
        responses={
            200: MergeResultSerializer,
            400: OpenApiResponse(description="Wrong address or password, no proof in this "
                                 "session, a missing or wrong two-factor code, or confirm "
                                 "not true"),
            409: OpenApiResponse(ErasureRefusedSerializer,
                                 description="A clash only a person can resolve"),
            429: OpenApiResponse(description="Too many password attempts; wait a minute"),
        },
        operation_id="me_merge",
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        from privacy.forms import AccountMergeForm
        from privacy.merge import MergeRefusedError, account_merge

        user = cast(User, request.user)
        if not ratelimit.consume(request._request, action="reauthenticate", user=user):
            raise Throttled(detail="Too many password attempts. Wait a minute, then try again.")
        incoming = MergeRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        proven = None
        if not incoming.validated_data.get("email") and not incoming.validated_data.get("password"):
            proof = merge_proof_of(request._request, keep_id=user.pk)
            proven = User.objects.filter(pk=proof[0], is_active=True).first() if proof else None
            if proven is None:
                raise serializers.ValidationError(
                    {
                        "email": [
                            "Give the other account's address and password, or first prove it "
                            "by signing in to it through its identity provider from the merge "
                            "page."
                        ]
                    }
                )
        form = AccountMergeForm(incoming.validated_data, user=user, proven=proven)
        if not form.is_valid() or form.other is None:
            raise serializers.ValidationError(form.errors.get_json_data())
        try:
            moved = account_merge(keep=user, other=form.other)
        except MergeRefusedError as error:
            return Response(
                {"detail": " ".join(error.reasons), "blockers": error.reasons},
                status=status.HTTP_409_CONFLICT,
            )
        merge_proof_forget(request._request)
        return Response(MergeResultSerializer({"moved": sum(moved.values())}).data)

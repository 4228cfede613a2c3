"""The account over the API: personal tokens, the profile, and whether MFA is on.

Everything here is the caller's own: nobody reads or changes another person's tokens or
profile, so another person's token id answers 404.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import ApiToken, User
from accounts.selectors import api_tokens_of
from core.api import cursor


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, help_text="What the token is for.")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="The secret. Shown in this response only, never again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenListApi(APIView):
    """The caller's active personal API tokens (never their secrets), and creating one."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(responses=ApiTokenSerializer(many=True), operation_id="api_tokens_list")
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(api_tokens_of(user=_user(request)), request, view=self)
        return paginator.get_paginated_response(ApiTokenSerializer(page, many=True).data)

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer},
        operation_id="api_tokens_create",
    )
    def post(self, request: Request) -> Response:
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = services.api_token_create(
            user=_user(request), name=data.validated_data["name"]
        )
        token.key = key  # type: ignore[attr-defined]
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class ApiTokenRevokeApi(APIView):
    """Revoke one of the caller's tokens: it stops working at once."""

    @extend_schema(request=None, responses={204: None}, operation_id="api_tokens_revoke")
    def delete(self, request: Request, token_id: int) -> Response:
        token = get_object_or_404(api_tokens_of(user=_user(request)), pk=token_id)
        services.api_token_revoke(token=token, by=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountProfileSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "first_name", "last_name"]
        read_only_fields = ["id", "email"]


class ProfileApi(APIView):
    """The caller's name as others see it. The email changes through the account pages,
    which verify the new address."""

    @extend_schema(responses=AccountProfileSerializer, operation_id="account_profile_retrieve")
    def get(self, request: Request) -> Response:
        return Response(AccountProfileSerializer(_user(request)).data)

    @extend_schema(
        request=AccountProfileSerializer,
        responses=AccountProfileSerializer,
        operation_id="account_profile_update",
    )
    def patch(self, request: Request) -> Response:
        data = AccountProfileSerializer(_user(request), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.profile_update(user=_user(request), **data.validated_data)
        return Response(AccountProfileSerializer(user).data)


class MfaStatusSerializer(serializers.Serializer[Any]):
    enabled = serializers.BooleanField(help_text="An authenticator app is set up.")
    recovery_codes_left = serializers.IntegerField()


class MfaStatusApi(APIView):
    """Whether the caller has two-factor authentication on. Setting it up needs a code from
    the app, so it is done on the account pages (/accounts/2fa/)."""

    @extend_schema(responses=MfaStatusSerializer, operation_id="account_mfa_retrieve")
    def get(self, request: Request) -> Response:
        kinds = {a.type: a for a in Authenticator.objects.filter(user=_user(request))}
        codes = kinds.get(Authenticator.Type.RECOVERY_CODES)
        left = len(codes.wrap().get_unused_codes()) if codes is not None else 0
        data = {"enabled": Authenticator.Type.TOTP in kinds, "recovery_codes_left": left}
        return Response(MfaStatusSerializer(data).data)

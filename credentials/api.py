"""Credentials in `/api/v1/`: the learner's own (list, the signed document) and verifying any
credential this deployment issued."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import cursor
from credentials import services
from credentials.models import Credential
from credentials.selectors import credentials_of, credentials_revocable_by


class CredentialSerializer(serializers.ModelSerializer[Credential]):
    institution = serializers.CharField(source="institution.name")
    revoked = serializers.SerializerMethodField()
    verification_url = serializers.SerializerMethodField()
    document = serializers.JSONField(help_text="The signed OpenBadgeCredential (JSON-LD).")

    class Meta:
        model = Credential
        fields = [
            "public_id",
            "kind",
            "title",
            "institution",
            "issued_at",
            "revoked",
            "revoked_at",
            "verification_url",
            "document",
        ]

    def get_revoked(self, obj: Credential) -> bool:
        return obj.revoked_at is not None

    def get_verification_url(self, obj: Credential) -> str:
        return f"/credentials/verify/{obj.public_id}/"


class CredentialListApi(APIView):
    """The caller's credentials, newest first."""

    pagination_class = cursor(("-issued_at", "-id"))

    @extend_schema(responses=CredentialSerializer(many=True), operation_id="credential_list")
    def get(self, request: Request) -> Response:
        items = credentials_of(viewer=cast(User, request.user))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(CredentialSerializer(page, many=True).data)


class CredentialDetailApi(APIView):
    """One of the caller's credentials; anyone else's is 404."""

    @extend_schema(responses=CredentialSerializer, operation_id="credential_detail")
    def get(self, request: Request, public_id: uuid.UUID) -> Response:
        credential = get_object_or_404(
            credentials_of(viewer=cast(User, request.user)), public_id=public_id
        )
        return Response(CredentialSerializer(credential).data)


class RevokeSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="Why, for the record.")


class CredentialRevokeApi(APIView):
    """The director of the decision's program revokes a credential; its status list bit is set
    from the next fetch. Anyone else gets 404. Revoking twice changes nothing."""

    @extend_schema(
        request=RevokeSerializer, responses=CredentialSerializer, operation_id="credential_revoke"
    )
    def post(self, request: Request, public_id: uuid.UUID) -> Response:
        credential = get_object_or_404(
            credentials_revocable_by(user=cast(User, request.user)), public_id=public_id
        )
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = services.credential_revoke(
            credential=credential, reason=data.validated_data["reason"]
        )
        return Response(CredentialSerializer(credential).data)


class VerifyRequestSerializer(serializers.Serializer[Any]):
    credential = serializers.JSONField(help_text="A signed credential, as downloaded.")


class VerifyResultSerializer(serializers.Serializer[Any]):
    verified = serializers.BooleanField()
    problems = serializers.ListField(
        child=serializers.CharField(), help_text="Why it failed, in words; empty when verified."
    )
    issuer = serializers.CharField(allow_blank=True)
    title = serializers.CharField(allow_blank=True)


class CredentialVerifyApi(APIView):
    """Check a credential issued here: its proof and whether it was revoked. Anyone may ask;
    a credential that fails is a 200 with `verified: false` and the reasons."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=VerifyRequestSerializer,
        responses=VerifyResultSerializer,
        operation_id="credential_verify",
    )
    def post(self, request: Request) -> Response:
        serializer = VerifyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.credential_verify(document=serializer.validated_data["credential"])
        return Response(
            {
                "verified": result.verified,
                "problems": result.problems,
                "issuer": result.issuer_name,
                "title": result.credential.title if result.credential else "",
            }
        )

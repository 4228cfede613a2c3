"""The API of the inbox and notification settings: the caller's own only."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import cursor
from notifications.models import Frequency, Kind, Notification
from notifications.selectors import notifications_of, preferences_of
from notifications.services import (
    notification_mark_read,
    notification_preference_set,
    notifications_mark_all_read,
)


def _user(request: Request) -> User:
    return cast(User, request.user)


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read", "read_at"]

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationListApi(APIView):
    """The caller's inbox, newest first; `?unread=true` for unread only."""

    pagination_class = cursor(("-created_at", "-id"))

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool)],
        responses=NotificationSerializer(many=True),
        operation_id="coaching_notification_list",
    )
    def get(self, request: Request) -> Response:
        notifications = notifications_of(user=_user(request))
        if request.query_params.get("unread", "").lower() in ("1", "true", "yes"):
            notifications = notifications.unread()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notifications, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadApi(APIView):
    @extend_schema(
        request=None, responses=NotificationSerializer, operation_id="coaching_notification_read"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        notification = get_object_or_404(notifications_of(user=_user(request)), public_id=public_id)
        notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)


class ReadAllSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField()


class NotificationReadAllApi(APIView):
    @extend_schema(
        request=None, responses=ReadAllSerializer, operation_id="coaching_notification_read_all"
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": notifications_mark_all_read(user=_user(request))})


class PreferenceSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Kind.choices)
    description = serializers.CharField(read_only=True)
    frequency = serializers.ChoiceField(choices=Frequency.choices)


class PreferenceUpdateSerializer(serializers.Serializer[Any]):
    preferences = PreferenceSerializer(many=True)


def _preferences(user: User) -> list[dict[str, str]]:
    current = preferences_of(user=user)
    return [
        {"kind": kind.value, "description": str(kind.label), "frequency": current[kind.value]}
        for kind in Kind
    ]


class NotificationPreferenceApi(APIView):
    """How the caller hears about each kind: at once, in a daily digest, or inbox only.
    Summary kinds (the weekly coach digest) take `immediately` (send) or `off`."""

    @extend_schema(
        responses=PreferenceSerializer(many=True),
        operation_id="coaching_notification_preferences_retrieve",
    )
    def get(self, request: Request) -> Response:
        return Response(PreferenceSerializer(_preferences(_user(request)), many=True).data)

    @extend_schema(
        request=PreferenceUpdateSerializer,
        responses=PreferenceSerializer(many=True),
        operation_id="coaching_notification_preferences_update",
    )
    def put(self, request: Request) -> Response:
        serializer = PreferenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _user(request)
        with transaction.atomic():
            for item in serializer.validated_data["preferences"]:
                notification_preference_set(
                    user=user, kind=item["kind"], frequency=item["frequency"]
                )
        return Response(PreferenceSerializer(_preferences(user), many=True).data)

"""The API of what others share with the caller (the "Shared with me" page)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from home.shared import shared_with
from portfolio.models import ShareGrant


class SharerSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SharedPersonSerializer(serializers.Serializer[Any]):
    learner = SharerSerializer()
    scopes = serializers.ListField(child=serializers.CharField(), help_text="Scope labels.")


class SharedGroupItemSerializer(serializers.Serializer[ShareGrant]):
    grant = serializers.IntegerField(source="pk")
    kind = serializers.SerializerMethodField()
    item_id = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    learner = SharerSerializer()
    group = serializers.UUIDField(source="circle.group.public_id")
    group_name = serializers.CharField(source="circle.group.name")
    shared_at = serializers.DateTimeField(source="created_at")

    def get_kind(self, obj: ShareGrant) -> str:
        return "goal" if obj.goal_id else "evidence"

    def get_item_id(self, obj: ShareGrant) -> int:
        return int(obj.goal_id or obj.evidence_id or 0)

    def get_title(self, obj: ShareGrant) -> str:
        item = obj.goal or obj.evidence
        return item.title if item is not None else ""


class SharedHandoverSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="public_id")
    learner = SharerSerializer()
    program = serializers.CharField(source="program.name")
    sent_at = serializers.DateTimeField()


class SharedWithMeSerializer(serializers.Serializer[Any]):
    people = SharedPersonSerializer(many=True, help_text="At most 50, by name.")
    people_total = serializers.IntegerField()
    group_items = SharedGroupItemSerializer(many=True, help_text="The newest 50.")
    handovers = SharedHandoverSerializer(many=True, help_text="The newest 20.")


class SharedWithMeApi(APIView):
    """What others share with the caller now: portfolios (by grant, to them or to a committee
    they sit on), items shared to their learning groups, handovers sent to programs they
    review. Item titles read here go to each owner's access log."""

    @extend_schema(responses=SharedWithMeSerializer, operation_id="shared_with_me")
    def get(self, request: Request) -> Response:
        shared = shared_with(viewer=cast(User, request.user))
        return Response(SharedWithMeSerializer(shared).data)

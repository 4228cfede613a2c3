"""The audit log over the API: read only, for institution administrators."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditEvent
from audit.selectors import audit_events_visible_to, may_read_audit_log
from core.api import cursor


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor_id",
            "actor_email",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "institution_id",
            "before",
            "after",
        ]
        read_only_fields = fields


class AuditEventListApi(APIView):
    """Administrative changes, newest first, paginated by cursor. Nothing here writes: the
    log has no create, update or delete operation."""

    pagination_class = cursor(("-at", "-id"))

    @extend_schema(
        parameters=[OpenApiParameter("action", OpenApiTypes.STR, description="Only this action.")],
        responses=AuditEventSerializer(many=True),
        operation_id="audit_events_list",
    )
    def get(self, request: Request) -> Response:
        if not may_read_audit_log(user=request.user):  # type: ignore[arg-type]
            raise Http404
        events = audit_events_visible_to(
            user=request.user,  # type: ignore[arg-type]
            action=str(request.query_params.get("action", ""))[:60],
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events, request, view=self)
        data: Any = AuditEventSerializer(page, many=True).data
        return paginator.get_paginated_response(data)

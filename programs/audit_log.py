"""The audit log of administration (audit.AuditEvent) as a page and over the API, for its
readers: superusers, and institution administrators for their own institutions' events. It
lives here, above `audit`, because who administers an institution is a role in this app."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from audit.models import AuditEvent
from audit.selectors import audit_events_visible_to, may_read_audit_log
from core.api import cursor
from programs.selectors import institutions_administered_by

PAGE_SIZE = 50


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The administration log, newest first, for its readers; 404 for everyone else."""
    user = cast(User, request.user)
    institution_ids = institutions_administered_by(user=user)
    if not may_read_audit_log(user=user, institution_ids=institution_ids):
        raise Http404
    action = request.GET.get("action", "")[:60]
    events = audit_events_visible_to(user=user, institution_ids=institution_ids, action=action)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    visible = audit_events_visible_to(user=user, institution_ids=institution_ids)
    actions = visible.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request, "audit/log.html", {"page": page, "action": action, "actions": list(actions)}
    )


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
    """Administrative changes, newest first, paginated by cursor: all of them for a
    superuser, an institution administrator's own institutions' for them. Nothing here
    writes: the log has no create, update or delete operation."""

    pagination_class = cursor(("-at", "-id"))

    @extend_schema(
        parameters=[OpenApiParameter("action", OpenApiTypes.STR, description="Only this action.")],
        responses=AuditEventSerializer(many=True),
        operation_id="audit_events_list",
    )
    def get(self, request: Request) -> Response:
        user = cast(User, request.user)
        institution_ids = institutions_administered_by(user=user)
        if not may_read_audit_log(user=user, institution_ids=institution_ids):
            raise Http404
        events = audit_events_visible_to(
            user=user,
            institution_ids=institution_ids,
            action=str(request.query_params.get("action", ""))[:60],
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events, request, view=self)
        data: Any = AuditEventSerializer(page, many=True).data
        return paginator.get_paginated_response(data)

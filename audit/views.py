from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from audit.models import AuditEvent
from audit.selectors import audit_events_visible_to, may_read_audit_log

PAGE_SIZE = 50


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The administration log, newest first, for institution administrators; 404 otherwise."""
    if not may_read_audit_log(user=request.user):  # type: ignore[arg-type]
        raise Http404
    action = request.GET.get("action", "")[:60]
    events = audit_events_visible_to(user=request.user, action=action)  # type: ignore[arg-type]
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    actions = AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct()
    return render(
        request, "audit/log.html", {"page": page, "action": action, "actions": list(actions)}
    )

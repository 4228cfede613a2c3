from django.urls import path

from programs import audit_log

urlpatterns = [
    path("audit/events/", audit_log.AuditEventListApi.as_view(), name="api-audit-event-list")
]

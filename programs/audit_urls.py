from django.urls import path

from programs import audit_log

urlpatterns = [path("", audit_log.audit_log, name="audit-log")]

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_site import protect_admin_login
from config.health import healthz
from config.views import favicon

protect_admin_login(admin.site)

# Each app owns its API routes under /api/v1/ and its pages under its own prefix.
api_v1 = [
    path("", include("frameworks.api_urls")),
    path("", include("programs.api_urls")),
    path("", include("portfolio.api_urls")),
    path("", include("assessments.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("coaching.api_urls")),
    path("", include("learning.api_urls")),
    path("", include("xapi.api_urls")),
    path("", include("cpd.api_urls")),
    path("", include("handovers.api_urls")),
    path("", include("groups.api_urls")),
    path("", include("caselog.api_urls")),
    path("", include("credentials.api_urls")),
    path("", include("equity.api_urls")),
    path("", include("committee.api_urls")),
    path("", include("programs.audit_api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("home.api_urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Pages without our <link rel="icon"> (the Django admin) still get the icon.
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("audit/", include("programs.audit_urls")),
    path("account/", include("privacy.urls")),
    path("api/v1/", include(api_v1)),
    # SCIM 2.0 provisioning for institutions' IT (docs/sso.md); bearer-token only.
    path("scim/v2/", include("sso.scim.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (`?script`), not inline.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("frameworks/", include("frameworks.urls")),
    # The CASE 1.0 REST API for frameworks (docs/frameworks.md); public or token.
    path("ims/case/v1p0/", include("frameworks.case_urls")),
    # Committee review pages share the program pages' prefix; no path is in both.
    path("programs/", include("committee.urls")),
    path("programs/", include("programs.urls")),
    path("assessments/", include("assessments.urls")),
    path("coaching/", include("notifications.urls")),
    path("coaching/", include("coaching.urls")),
    # The learner's incoming xAPI statements sit with the other learning pages.
    path("learning/incoming/", include("xapi.page_urls")),
    path("learning/", include("learning.urls")),
    path("xapi/", include("xapi.urls")),
    path("", include("cpd.urls")),
    path("", include("caselog.urls")),
    path("handovers/", include("handovers.urls")),
    path("groups/", include("groups.urls")),
    path("credentials/", include("credentials.urls")),
    path("equity/", include("equity.urls")),
    path("", include("home.urls")),
    path("", include("portfolio.urls")),
]

from django.urls import path

from frameworks.api import (
    CompetencyLinkDetailApi,
    CompetencyLinkListApi,
    FrameworkDetailApi,
    FrameworkExportApi,
    FrameworkImportApi,
    FrameworkListApi,
    FrameworkPublishApi,
)

urlpatterns = [
    path("frameworks/", FrameworkListApi.as_view(), name="api-framework-list"),
    path("frameworks/import/", FrameworkImportApi.as_view(), name="api-framework-import"),
    path("frameworks/links/", CompetencyLinkListApi.as_view(), name="api-framework-links"),
    path(
        "frameworks/links/<str:pk>/",
        CompetencyLinkDetailApi.as_view(),
        name="api-framework-link-detail",
    ),
    path(
        "frameworks/<slug:code>/<str:version>/",
        FrameworkDetailApi.as_view(),
        name="api-framework-detail",
    ),
    path(
        "frameworks/<slug:code>/<str:version>/export/<str:fmt>/",
        FrameworkExportApi.as_view(),
        name="api-framework-export",
    ),
    path(
        "frameworks/<slug:code>/<str:version>/public/",
        FrameworkPublishApi.as_view(),
        name="api-framework-publish",
    ),
]

from django.urls import path

from frameworks.api import FrameworkDetailApi, FrameworkListApi

urlpatterns = [
    path("frameworks/", FrameworkListApi.as_view(), name="api-framework-list"),
    path(
        "frameworks/<slug:code>/<str:version>/",
        FrameworkDetailApi.as_view(),
        name="api-framework-detail",
    ),
]

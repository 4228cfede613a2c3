from django.urls import path

from equity import api

urlpatterns = [
    path(
        "equity/characteristics/",
        api.CharacteristicListApi.as_view(),
        name="api-equity-characteristics",
    ),
    path(
        "equity/characteristics/<slug:key>/",
        api.CharacteristicDeleteApi.as_view(),
        name="api-equity-characteristic",
    ),
    path("equity/view/", api.EquityViewApi.as_view(), name="api-equity-view"),
    path(
        "equity/assessor-signal/",
        api.AssessorSignalApi.as_view(),
        name="api-equity-assessor-signal",
    ),
]

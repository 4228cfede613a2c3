from django.urls import path

from cpd import api

urlpatterns = [
    path("me/practice/", api.MePracticeApi.as_view(), name="api-me-practice"),
    path(
        "me/practice/targets/", api.MePracticeTargetsApi.as_view(), name="api-me-practice-targets"
    ),
    path("cpd/credit-types/", api.CreditTypeListApi.as_view(), name="api-cpd-credit-types"),
    path("cpd/activities/", api.ActivityListApi.as_view(), name="api-cpd-activity-list"),
    path(
        "cpd/activities/<int:pk>/",
        api.ActivityDetailApi.as_view(),
        name="api-cpd-activity-detail",
    ),
    path("cpd/cycles/", api.CycleListApi.as_view(), name="api-cpd-cycle-list"),
    path("cpd/cycles/<int:pk>/", api.CycleDetailApi.as_view(), name="api-cpd-cycle-detail"),
    path("cpd/summary/", api.CpdSummaryApi.as_view(), name="api-cpd-summary"),
]

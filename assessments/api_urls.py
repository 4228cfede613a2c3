from django.urls import include, path

from assessments import api

urlpatterns = [
    # Self-assessments and check-ins (the learner's own).
    path("check-ins/", api.CheckInListApi.as_view(), name="api-checkin-list"),
    path("check-ins/<int:pk>/", api.CheckInDetailApi.as_view(), name="api-checkin-detail"),
    path("self-assessments/", api.SelfAssessmentListApi.as_view(), name="api-self-assessment-list"),
    # Assessments by others: requests, observations, calibration (api_urls_observations.py).
    path("", include("assessments.api_urls_observations")),
]

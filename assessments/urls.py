from django.urls import include, path

from assessments import views

urlpatterns = [
    # Self-assessment check-ins (the learner's own).
    path("check-in/", views.checkin_start, name="checkin-start"),
    path("check-in/<int:framework_id>/", views.checkin_form, name="checkin-form"),
    path("check-ins/", views.checkin_list, name="checkin-list"),
    path("check-ins/<int:pk>/", views.checkin_detail, name="checkin-detail"),
    # Assessments by others: requests, observations, calibration (urls_observations.py).
    path("", include("assessments.urls_observations")),
]

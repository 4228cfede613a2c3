from django.urls import path

from portfolio import api

urlpatterns = [
    path("me/enrollments/", api.MeEnrollmentListApi.as_view(), name="api-me-enrollments"),
    path(
        "me/carried-evidence/",
        api.MeCarriedEvidenceApi.as_view(),
        name="api-me-carried-evidence",
    ),
    path("me/profile/", api.MeProfileApi.as_view(), name="api-me-profile"),
    path("me/dashboard/", api.MeDashboardApi.as_view(), name="api-me-dashboard"),
    path("me/trajectory/", api.MeTrajectoryApi.as_view(), name="api-me-trajectory"),
    path("evidence/", api.EvidenceListApi.as_view(), name="api-evidence-list"),
    path("evidence/<int:pk>/", api.EvidenceDetailApi.as_view(), name="api-evidence-detail"),
    path("evidence/<int:pk>/file/", api.EvidenceFileApi.as_view(), name="api-evidence-file"),
    path("goals/", api.GoalListApi.as_view(), name="api-goal-list"),
    path("goals/<int:pk>/", api.GoalDetailApi.as_view(), name="api-goal-detail"),
    path(
        "goals/<int:pk>/progress-notes/",
        api.GoalProgressNoteCreateApi.as_view(),
        name="api-goal-progress-note-create",
    ),
    path("share-grants/", api.ShareGrantListApi.as_view(), name="api-share-grant-list"),
    path(
        "share-grants/<int:pk>/revoke/",
        api.ShareGrantRevokeApi.as_view(),
        name="api-share-grant-revoke",
    ),
    path("access-log/", api.AccessLogListApi.as_view(), name="api-access-log"),
    path("exports/", api.ExportListApi.as_view(), name="api-export-list"),
    path("exports/<uuid:public_id>/", api.ExportDetailApi.as_view(), name="api-export-detail"),
    path(
        "exports/<uuid:public_id>/download/",
        api.ExportDownloadApi.as_view(),
        name="api-export-download",
    ),
    path("imports/", api.ImportListApi.as_view(), name="api-import-list"),
    path("imported-records/", api.KeptRecordListApi.as_view(), name="api-kept-record-list"),
    path("imports/<uuid:public_id>/", api.ImportDetailApi.as_view(), name="api-import-detail"),
    path("check-ins/", api.CheckInListApi.as_view(), name="api-checkin-list"),
    path("check-ins/<int:pk>/", api.CheckInDetailApi.as_view(), name="api-checkin-detail"),
    path("self-assessments/", api.SelfAssessmentListApi.as_view(), name="api-self-assessment-list"),
    path("calibration/", api.CalibrationApi.as_view(), name="api-calibration"),
    path(
        "calibration/<int:learner_id>/",
        api.LearnerCalibrationApi.as_view(),
        name="api-calibration-learner",
    ),
]

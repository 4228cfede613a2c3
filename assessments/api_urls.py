"""API routes for assessments by others: requests, observations, responses, calibration."""

from django.urls import path

from assessments import api

urlpatterns = [
    path(
        "observation-requests/",
        api.ObservationRequestListApi.as_view(),
        name="api-observation-request-list",
    ),
    path(
        "observation-requests/turnaround/",
        api.ObservationTurnaroundApi.as_view(),
        name="api-observation-request-turnaround",
    ),
    path(
        "observation-requests/<int:pk>/",
        api.ObservationRequestDetailApi.as_view(),
        name="api-observation-request-detail",
    ),
    path(
        "observation-requests/<int:pk>/complete/",
        api.ObservationRequestCompleteApi.as_view(),
        name="api-observation-request-complete",
    ),
    path(
        "observation-requests/<int:pk>/decline/",
        api.ObservationRequestDeclineApi.as_view(),
        name="api-observation-request-decline",
    ),
    path(
        "observation-assessors/",
        api.ObservationAssessorListApi.as_view(),
        name="api-observation-assessor-list",
    ),
    path(
        "observation-learners/",
        api.ObservationLearnerListApi.as_view(),
        name="api-observation-learner-list",
    ),
    path("assessment-forms/", api.AssessmentFormListApi.as_view(), name="api-assessment-form-list"),
    path(
        "assessment-forms/<int:pk>/",
        api.AssessmentFormDetailApi.as_view(),
        name="api-assessment-form-detail",
    ),
    path(
        "assessment-forms/<int:pk>/retire/",
        api.AssessmentFormRetireApi.as_view(),
        name="api-assessment-form-retire",
    ),
    path("assessments/", api.AssessmentListApi.as_view(), name="api-assessment-list"),
    path("assessments/<int:pk>/", api.AssessmentDetailApi.as_view(), name="api-assessment-detail"),
    path(
        "assessments/<int:pk>/acknowledge/",
        api.AssessmentAcknowledgeApi.as_view(),
        name="api-assessment-acknowledge",
    ),
    path(
        "assessments/<int:pk>/responses/",
        api.AssessmentResponseListApi.as_view(),
        name="api-assessment-response-list",
    ),
    path(
        "programs/<int:program_id>/rotations/",
        api.RotationListApi.as_view(),
        name="api-rotation-list",
    ),
    path(
        "programs/<int:program_id>/rotation-schedule/",
        api.RotationScheduleApi.as_view(),
        name="api-rotation-schedule",
    ),
    path(
        "programs/<int:program_id>/rotation-schedule/<int:pk>/",
        api.RotationBlockApi.as_view(),
        name="api-rotation-block",
    ),
    path(
        "programs/<int:program_id>/rotation-schedule/import/",
        api.RotationScheduleImportApi.as_view(),
        name="api-rotation-schedule-import",
    ),
    path(
        "programs/<int:program_id>/rotation-completion/",
        api.RotationCompletionApi.as_view(),
        name="api-rotation-completion",
    ),
    path(
        "rotation-blocks/<int:pk>/nudge/",
        api.RotationNudgeApi.as_view(),
        name="api-rotation-nudge",
    ),
    path("assess-now/", api.AssessNowCreateApi.as_view(), name="api-assess-now-create"),
    path("assess-now/redeem/", api.AssessNowRedeemApi.as_view(), name="api-assess-now-redeem"),
    path(
        "assess-now/sign-in-link/",
        api.AssessNowLinkRequestApi.as_view(),
        name="api-assess-now-sign-in-link",
    ),
    path(
        "feedback-requests/", api.FeedbackRequestListApi.as_view(), name="api-feedback-request-list"
    ),
    path("feedback-answers/", api.FeedbackAnswerApi.as_view(), name="api-feedback-answer"),
    path("me/feedback/", api.FeedbackSummaryApi.as_view(), name="api-me-feedback"),
    path(
        "teaching-evaluations/",
        api.TeachingEvaluationListApi.as_view(),
        name="api-teaching-evaluation-list",
    ),
    path("me/teaching-results/", api.TeachingResultsApi.as_view(), name="api-me-teaching-results"),
    path(
        "programs/<int:program_id>/teaching-results/",
        api.ProgramTeachingResultsApi.as_view(),
        name="api-program-teaching-results",
    ),
    path(
        "me/teaching-results/<int:program_id>/",
        api.TeachingResultDetailApi.as_view(),
        name="api-me-teaching-result",
    ),
    path(
        "programs/<int:program_id>/teaching-results/rotations/<int:rotation_id>/",
        api.ProgramRotationResultApi.as_view(),
        name="api-program-rotation-result",
    ),
    path("me/feedback/<slug:key>/", api.FeedbackGroupApi.as_view(), name="api-me-feedback-group"),
]

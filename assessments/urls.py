"""Pages for assessments by others: requests, observations, the assessor's inbox, calibration."""

from django.urls import path

from assessments import views

urlpatterns = [
    # The learner asks; the assessor answers or declines.
    path("requests/", views.request_list, name="observation-request-list"),
    path("requests/new/", views.request_create, name="observation-request-create"),
    path("requests/<int:pk>/", views.request_detail, name="observation-request-detail"),
    path(
        "requests/<int:pk>/complete/",
        views.request_complete,
        name="observation-request-complete",
    ),
    path("requests/<int:pk>/decline/", views.request_decline, name="observation-request-decline"),
    # The assessor's side.
    path("inbox/", views.inbox, name="assessor-inbox"),
    path("inbox/turnaround/", views.turnaround, name="assessor-turnaround"),
    path("observe/", views.observation_start, name="observation-start"),
    path("observe/<int:learner_id>/", views.observation_create, name="observation-create"),
    path("given/", views.given_list, name="assessments-given"),
    path("given/comparison/", views.comparison, name="assessor-comparison"),
    # Records, with the learner's voice.
    path("received/", views.received_list, name="assessments-received"),
    path("<int:pk>/", views.assessment_detail, name="assessment-detail"),
    path("<int:pk>/edit/", views.assessment_edit, name="assessment-edit"),
    path(
        "<int:pk>/acknowledge/",
        views.assessment_acknowledge_view,
        name="assessment-acknowledge",
    ),
    path("<int:pk>/respond/", views.assessment_respond_view, name="assessment-respond"),
    # Forms: what a program's observations ask, on which scale.
    path("forms/", views.form_list, name="assessment-form-list"),
    path("forms/new/<int:program_id>/", views.form_create, name="assessment-form-create"),
    path("forms/<int:pk>/", views.form_detail, name="assessment-form-detail"),
    path("forms/<int:pk>/retire/", views.form_retire, name="assessment-form-retire"),
    # Rotation schedules and the end-of-rotation evaluations they send.
    path("rotations/<int:program_id>/", views.rotation_schedule, name="rotation-schedule"),
    path(
        "rotations/<int:program_id>/completion/",
        views.rotation_completion,
        name="rotation-completion",
    ),
    path("rotations/<int:program_id>/nudge/", views.rotation_nudge, name="rotation-nudge"),
    path(
        "rotations/<int:program_id>/blocks/<int:pk>/",
        views.rotation_block_edit,
        name="rotation-block-edit",
    ),
    path(
        "rotations/<int:program_id>/blocks/<int:pk>/delete/",
        views.rotation_block_delete,
        name="rotation-block-delete",
    ),
    # Assess me now: the learner's QR code, the assessor's scan, the one-time sign-in link.
    path("now/", views.assess_now_start, name="assess-now-start"),
    path("now/<int:pk>/", views.assess_now_show, name="assess-now-show"),
    path("now/scan/<str:token>/", views.assess_now_scan, name="assess-now-scan"),
    path("now/scan/<str:token>/email/", views.assess_now_email, name="assess-now-email"),
    path("now/link/<str:token>/", views.assess_now_link, name="assess-now-link"),
    # Multi-source feedback: the learner's links and results; the rater's one-time form.
    path("feedback/", views.feedback_home, name="feedback-home"),
    path("feedback/<int:pk>/", views.feedback_link, name="feedback-link"),
    path("feedback/program/<int:program_id>/", views.feedback_program, name="feedback-program"),
    path("feedback/answer/<str:token>/", views.feedback_respond_view, name="feedback-respond"),
    # Learners evaluate teachers and rotations; results in aggregate only.
    path("evaluations/", views.teaching_evaluations, name="teaching-evaluations"),
    path("evaluations/results/", views.teaching_results, name="teaching-results"),
    path(
        "evaluations/program/<int:program_id>/",
        views.teaching_program_results,
        name="teaching-program-results",
    ),
    path(
        "evaluations/<str:subject>/<int:pk>/",
        views.teaching_evaluation_create,
        name="teaching-evaluation-create",
    ),
    # Calibration: self-assessments against assessors' ratings.
]

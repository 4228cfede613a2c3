from django.urls import path

from portfolio import views

urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("progress/monthly/", views.progress_monthly, name="progress-monthly"),
    path("timeline/", views.timeline, name="portfolio-timeline"),
    path("evidence/", views.evidence_list, name="evidence-list"),
    path("evidence/new/", views.evidence_create, name="evidence-create"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence-detail"),
    path("evidence/<int:pk>/edit/", views.evidence_edit, name="evidence-edit"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence-delete"),
    path("evidence/<int:pk>/file/", views.evidence_file, name="evidence-file"),
    path("goals/", views.goal_list, name="goal-list"),
    path("goals/new/", views.goal_create, name="goal-create"),
    path("goals/<int:pk>/", views.goal_detail, name="goal-detail"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal-edit"),
    path("goals/<int:pk>/delete/", views.goal_delete, name="goal-delete"),
    path("sharing/", views.share_list, name="share-list"),
    path("sharing/<int:pk>/revoke/", views.share_revoke, name="share-revoke"),
    path("access-log/", views.access_log, name="access-log"),
    path("shared/", views.shared_index, name="shared-index"),
    path("shared/<int:learner_id>/", views.shared_portfolio, name="shared-portfolio"),
    path(
        "shared/<int:learner_id>/self-assessments/",
        views.shared_self_assessments,
        name="shared-self-assessments",
    ),
    path(
        "shared/<int:learner_id>/evidence/<int:pk>/",
        views.shared_evidence,
        name="shared-evidence",
    ),
    path(
        "shared/<int:learner_id>/evidence/<int:pk>/file/",
        views.shared_evidence_file,
        name="shared-evidence-file",
    ),
    path("shared/<int:learner_id>/goals/<int:pk>/", views.shared_goal, name="shared-goal"),
    path("export/", views.transfer_list, name="transfer-list"),
    path("export/start/", views.export_start, name="export-start"),
    path("export/records/", views.kept_record_list, name="kept-record-list"),
    path("export/import/", views.import_start, name="import-start"),
    path("export/<uuid:public_id>/", views.transfer_detail, name="transfer-detail"),
    path("export/<uuid:public_id>/download/", views.transfer_download, name="transfer-download"),
    # Check-ins keep the paths they have always had, beside the assessment pages.
    path("assessments/check-in/", views.checkin_start, name="checkin-start"),
    path("assessments/check-in/<int:framework_id>/", views.checkin_form, name="checkin-form"),
    path("assessments/check-ins/", views.checkin_list, name="checkin-list"),
    path("assessments/check-ins/<int:pk>/", views.checkin_detail, name="checkin-detail"),
    path("assessments/calibration/", views.calibration_mine, name="calibration"),
    path(
        "assessments/calibration/<int:learner_id>/",
        views.calibration_of,
        name="calibration-learner",
    ),
]

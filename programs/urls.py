from django.urls import path

from programs import views

packet = "<int:program_id>/periods/<int:period_id>/learners/<int:learner_id>/"

urlpatterns = [
    path("", views.program_index, name="program-list"),
    path("new/", views.program_create, name="program-create"),
    path("overview/", views.overview_show, name="program-overview"),
    path("reviews/", views.my_review_index, name="my-review-list"),
    path("reviews/<int:review_id>/", views.my_review_show, name="my-review-detail"),
    path("<int:program_id>/", views.program_show, name="program-detail"),
    path("<int:program_id>/cohorts/", views.cohort_index, name="program-cohorts"),
    path("<int:program_id>/enrollments/", views.enrollment_index, name="program-enrollments"),
    path(
        "<int:program_id>/enrollments/<int:enrollment_id>/",
        views.enrollment_edit,
        name="program-enrollment-edit",
    ),
    path("<int:program_id>/roles/", views.role_index, name="program-roles"),
    path(
        "<int:program_id>/roles/<int:role_id>/revoke/",
        views.role_revoke,
        name="program-role-revoke",
    ),
    path("<int:program_id>/expectations/", views.expectation_index, name="program-expectations"),
    path("<int:program_id>/roster/", views.roster_import, name="program-roster"),
    path("<int:program_id>/periods/", views.period_index, name="program-periods"),
    path(
        "<int:program_id>/periods/<int:period_id>/edit/",
        views.period_edit,
        name="program-period-edit",
    ),
    path("<int:program_id>/heatmap/", views.heatmap_show, name="program-heatmap"),
    path(
        "<int:program_id>/distributions/",
        views.distribution_show,
        name="program-distributions",
    ),
    path("<int:program_id>/flags/", views.flag_index, name="program-flags"),
    path(
        "<int:program_id>/periods/<int:period_id>/consensus.csv",
        views.consensus_csv,
        name="program-consensus-csv",
    ),
    path(packet, views.packet_show, name="program-packet"),
    path(packet + "print/", views.packet_print, name="program-packet-print"),
    path(packet + "consensus/", views.consensus_record, name="program-consensus-record"),
    path(packet + "sign-off/", views.review_sign_off, name="program-review-sign-off"),
]

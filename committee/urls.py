from django.urls import path

from committee import views

# Included under "programs/" (config/urls.py), beside the program pages.
packet = "<int:program_id>/periods/<int:period_id>/learners/<int:learner_id>/"

urlpatterns = [
    path("overview/", views.overview_show, name="program-overview"),
    path("reviews/", views.my_review_index, name="my-review-list"),
    path("reviews/<int:review_id>/", views.my_review_show, name="my-review-detail"),
    path("<int:program_id>/heatmap/", views.heatmap_show, name="program-heatmap"),
    path("<int:program_id>/meeting/", views.meeting_show, name="program-meeting"),
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
    path(
        "<int:program_id>/learners/<int:learner_id>/entrustment/",
        views.entrustment_show,
        name="program-entrustment",
    ),
    path(
        "<int:program_id>/entrustment/<int:decision_id>/sign-off/",
        views.entrustment_sign_off,
        name="program-entrustment-sign-off",
    ),
]

from django.urls import path

from cpd import views

urlpatterns = [
    path("practice/", views.practice, name="practice"),
    path("practice/targets/", views.practice_targets, name="practice-targets"),
    path("cpd/", views.diary, name="cpd-diary"),
    path("cpd/activities/new/", views.activity_create, name="cpd-activity-create"),
    path("cpd/activities/<int:pk>/edit/", views.activity_edit, name="cpd-activity-edit"),
    path("cpd/activities/<int:pk>/delete/", views.activity_delete, name="cpd-activity-delete"),
    path("cpd/cycles/", views.cycles, name="cpd-cycles"),
    path("cpd/cycles/<int:pk>/", views.cycle_edit, name="cpd-cycle-edit"),
    path("cpd/cycles/<int:pk>/delete/", views.cycle_delete, name="cpd-cycle-delete"),
    path("cpd/transcript/", views.transcript, name="cpd-transcript"),
    path("cpd/transcript.csv", views.transcript_download, name="cpd-transcript-csv"),
]

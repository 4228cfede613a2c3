from django.urls import path

from programs import views

urlpatterns = [
    path("", views.program_index, name="program-list"),
    path("new/", views.program_create, name="program-create"),
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
    path("<int:program_id>/invitations/", views.invitation_index, name="program-invitations"),
    path(
        "<int:program_id>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="program-invitation-revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("<int:program_id>/periods/", views.period_index, name="program-periods"),
    path(
        "<int:program_id>/periods/<int:period_id>/edit/",
        views.period_edit,
        name="program-period-edit",
    ),
]

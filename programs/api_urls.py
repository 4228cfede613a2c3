from django.urls import path

from programs import api

program = "programs/<int:program_id>/"

urlpatterns = [
    path("me/", api.MeRetrieveApi.as_view(), name="api-me"),
    path("programs/", api.ProgramListApi.as_view(), name="api-program-list"),
    path(program, api.ProgramDetailApi.as_view(), name="api-program-detail"),
    path(program + "cohorts/", api.CohortListApi.as_view(), name="api-cohort-list"),
    path(program + "enrollments/", api.EnrollmentListApi.as_view(), name="api-enrollment-list"),
    path(
        program + "enrollments/<int:enrollment_id>/",
        api.EnrollmentDetailApi.as_view(),
        name="api-enrollment-detail",
    ),
    path(program + "roles/", api.ProgramRoleListApi.as_view(), name="api-program-role-list"),
    path(
        program + "roles/<int:role_id>/",
        api.ProgramRoleRevokeApi.as_view(),
        name="api-program-role-revoke",
    ),
    path("invitations/accept/", api.InvitationAcceptApi.as_view(), name="api-invitation-accept"),
    path(program + "roster/", api.RosterImportApi.as_view(), name="api-roster-import"),
    path(program + "invitations/", api.InvitationListApi.as_view(), name="api-invitation-list"),
    path(
        program + "invitations/<int:invitation_id>/",
        api.InvitationRevokeApi.as_view(),
        name="api-invitation-revoke",
    ),
    path(program + "expectations/", api.ExpectationListApi.as_view(), name="api-expectation-list"),
    path(program + "periods/", api.ReviewPeriodListApi.as_view(), name="api-period-list"),
    path(
        program + "periods/<int:period_id>/",
        api.ReviewPeriodDetailApi.as_view(),
        name="api-period-detail",
    ),
]

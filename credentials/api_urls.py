from django.urls import path

from credentials import api

urlpatterns = [
    path("credentials/", api.CredentialListApi.as_view(), name="api-credential-list"),
    path("credentials/verify/", api.CredentialVerifyApi.as_view(), name="api-credential-verify"),
    path(
        "credentials/<uuid:public_id>/",
        api.CredentialDetailApi.as_view(),
        name="api-credential-detail",
    ),
    path(
        "credentials/<uuid:public_id>/revoke/",
        api.CredentialRevokeApi.as_view(),
        name="api-credential-revoke",
    ),
]

from django.urls import path

from accounts import api

urlpatterns = [
    path("account/tokens/", api.ApiTokenListApi.as_view(), name="api-account-token-list"),
    path(
        "account/tokens/<int:token_id>/",
        api.ApiTokenRevokeApi.as_view(),
        name="api-account-token-revoke",
    ),
    path("account/profile/", api.ProfileApi.as_view(), name="api-account-profile"),
    path("account/mfa/", api.MfaStatusApi.as_view(), name="api-account-mfa"),
]

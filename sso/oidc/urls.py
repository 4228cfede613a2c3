from django.urls import include, path

from sso.oidc import views

# The same paths and names as allauth's OpenID Connect provider, on our verifying views.
urlpatterns = [
    path(
        "oidc/<slug:provider_id>/",
        include(
            [
                path("login/", views.login, name="openid_connect_login"),
                path("login/callback/", views.callback, name="openid_connect_callback"),
            ]
        ),
    )
]

# allauth finds a provider's URLs beside its class. The SAML views are allauth's, except the
# SP metadata (sso.saml.views), under the same names.
from allauth.socialaccount.providers.saml import views as allauth_views
from django.urls import include, path, re_path
from django.urls.resolvers import URLPattern, URLResolver

from sso.saml import views

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(
        r"^saml/(?P<organization_slug>[^/]+)/",
        include(
            [
                path("acs/", allauth_views.acs, name="saml_acs"),
                path("acs/finish/", allauth_views.finish_acs, name="saml_finish_acs"),
                path("sls/", allauth_views.sls, name="saml_sls"),
                path("metadata/", views.metadata, name="saml_metadata"),
                path("login/", allauth_views.login, name="saml_login"),
            ]
        ),
    )
]

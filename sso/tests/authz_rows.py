"""Matrix rows for single sign-on's URLs (allauth's SAML and OpenID Connect views, on our
identity providers). They are public by nature: anyone may start a sign-in or read the SP
metadata; a bare callback without a sign-in in progress is refused with 400."""

from sso.models import IdentityProvider
from sso.services import sp_keypair_ensure
from tests import factories
from tests.authz import Row, same


def _saml(w) -> str:
    provider = IdentityProvider.objects.filter(slug="matrix-saml").first()
    if provider is None:
        provider = IdentityProvider(
            institution=factories.InstitutionFactory(),
            name="Matrix SAML",
            slug="matrix-saml",
            protocol=IdentityProvider.Protocol.SAML,
            saml_idp={
                "entity_id": "http://localhost:1/idp",
                "sso_url": "http://localhost:1/sso",
                "slo_url": "http://localhost:1/slo",
                "x509cert": "",
            },
        )
        sp_keypair_ensure(provider=provider)
        provider.saml_idp["x509cert"] = provider.sp_certificate  # any well-formed certificate
        provider.save()
    return provider.slug


def _oidc(w) -> str:
    IdentityProvider.objects.get_or_create(
        slug="matrix-oidc",
        defaults={
            "institution": factories.InstitutionFactory(),
            "name": "Matrix OIDC",
            "protocol": IdentityProvider.Protocol.OIDC,
            "oidc_issuer": "http://localhost:1",
            "oidc_client_id": "matrix",
            "oidc_client_secret": "matrix-secret",
        },
    )
    return "matrix-oidc"


# SAML validates its own URLs, built from the Host header: a dotted or IP host, as in real use.
HOST = {"HTTP_HOST": "127.0.0.1"}

ROWS = [
    Row("saml_metadata", lambda w: f"/accounts/saml/{_saml(w)}/metadata/", same(200), extra=HOST),
    Row(
        "saml_login",
        lambda w: f"/accounts/saml/{_saml(w)}/login/",
        same(200),
        extra=HOST,
        note="GET shows a 'continue' page; only a POST leaves for the IdP",
    ),
    Row(
        "saml_acs",
        lambda w: f"/accounts/saml/{_saml(w)}/acs/",
        same(302),
        method="POST",
        extra=HOST,
        note="keeps the posted answer and hops to the finishing view (cookies are Lax)",
    ),
    Row(
        "saml_finish_acs",
        lambda w: f"/accounts/saml/{_saml(w)}/acs/finish/",
        same(400),
        extra=HOST,
        note="no answer from the IdP in progress: refused with a reason",
    ),
    Row(
        "saml_sls",
        lambda w: f"/accounts/saml/{_saml(w)}/sls/",
        same(400),
        extra=HOST,
        note="no logout request or response: refused",
    ),
    Row("openid_connect_login", lambda w: f"/accounts/oidc/{_oidc(w)}/login/", same(200)),
    Row(
        "openid_connect_callback",
        lambda w: f"/accounts/oidc/{_oidc(w)}/login/callback/",
        same(400),
        note="no state of a sign-in started here: refused with a reason",
    ),
]

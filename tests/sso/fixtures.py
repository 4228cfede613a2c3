"""pytest fixtures: real identity providers on `localhost`, and Continuum's configuration for
them, with the app itself addressed as `127.0.0.1` so every sign-in crosses sites."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sso.models import EmailDomain, IdentityProvider
from sso.services import identity_provider_metadata_import, sp_keypair_ensure
from tests import factories
from tests.sso.oidc_provider import OidcProvider, start_oidc_provider
from tests.sso.simplesamlphp import SimpleSAMLphp, start_simplesamlphp

OIDC_CLIENT_ID = "continuum-test"
OIDC_CLIENT_SECRET = "continuum-test-secret-at-least-32-characters-long"


def app_url(live_server: Any) -> str:
    """The live server as `127.0.0.1`, a different site from the providers on `localhost`."""
    return str(live_server.url).replace("localhost", "127.0.0.1")


@pytest.fixture(scope="session")
def simplesamlphp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleSAMLphp]:
    idp = start_simplesamlphp(tmp_path_factory.mktemp("simplesamlphp"))
    yield idp
    idp.stop()


@dataclass
class SamlSetup:
    idp: SimpleSAMLphp
    provider: IdentityProvider
    base: str  # the app's origin

    def sp_urls(self, slug: str | None = None) -> dict[str, str]:
        slug = slug or self.provider.slug
        root = f"{self.base}/accounts/saml/{slug}"
        return {
            "entity_id": f"{root}/metadata/",
            "acs": f"{root}/acs/",
            "sls": f"{root}/sls/",
            "login": f"{root}/login/",
        }


def saml_provider(
    idp: SimpleSAMLphp,
    base: str,
    *,
    slug: str = "northbridge",
    institution: Any = None,
    domain: str = "northbridge.edu",
    lifetime: int | None = None,
    mfa: bool = False,
    require_encryption: bool = True,
    name: str = "Northbridge SSO",
) -> IdentityProvider:
    """An institution's SAML IdP in Continuum, registered as an SP at SimpleSAMLphp."""
    institution = institution or factories.InstitutionFactory(name="Northbridge University")
    provider = IdentityProvider(
        institution=institution,
        name=name,
        slug=slug,
        protocol=IdentityProvider.Protocol.SAML,
        saml_require_encryption=require_encryption,
    )
    sp_keypair_ensure(provider=provider)
    provider.save()
    if domain:
        EmailDomain.objects.create(
            provider=provider, domain=domain, authoritative=True, sso_required=True
        )
    root = f"{base}/accounts/saml/{slug}"
    idp.add_service_provider(
        entity_id=f"{root}/metadata/",
        acs=f"{root}/acs/",
        sls=f"{root}/sls/",
        certificate=provider.sp_certificate,
        lifetime=lifetime,
        mfa=mfa,
        encrypt=require_encryption,
    )
    # The metadata is imported from the IdP's URL, as an administrator would.
    return identity_provider_metadata_import(provider=provider, url=idp.metadata_url)


@pytest.fixture
def saml_setup(simplesamlphp: SimpleSAMLphp, live_server: Any, transactional_db: Any) -> SamlSetup:
    base = app_url(live_server)
    return SamlSetup(idp=simplesamlphp, provider=saml_provider(simplesamlphp, base), base=base)


@dataclass
class OidcSetup:
    op: OidcProvider
    provider: IdentityProvider
    base: str


def _oidc_client(base: str, slug: str) -> dict[str, object]:
    return {
        "client_id": OIDC_CLIENT_ID,
        "client_secret": OIDC_CLIENT_SECRET,
        "redirect_uris": [f"{base}/accounts/oidc/{slug}/login/callback/"],
        "post_logout_redirect_uris": [f"{base}/accounts/login/"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_post",
    }


def oidc_provider_row(op: OidcProvider, *, slug: str = "riverside") -> IdentityProvider:
    institution = factories.InstitutionFactory(name="Riverside Health")
    provider = IdentityProvider.objects.create(
        institution=institution,
        name="Riverside Login",
        slug=slug,
        protocol=IdentityProvider.Protocol.OIDC,
        oidc_issuer=op.issuer,
        oidc_client_id=OIDC_CLIENT_ID,
        oidc_client_secret=OIDC_CLIENT_SECRET,
    )
    EmailDomain.objects.create(
        provider=provider, domain="riverside.org", authoritative=True, sso_required=False
    )
    return provider


@pytest.fixture
def oidc_setup(tmp_path: Path, live_server: Any, transactional_db: Any) -> Iterator[OidcSetup]:
    base = app_url(live_server)
    op = start_oidc_provider(tmp_path, clients=[_oidc_client(base, "riverside")])
    try:
        yield OidcSetup(op=op, provider=oidc_provider_row(op), base=base)
    finally:
        op.stop()


@pytest.fixture
def oidc_setup_wrong_keys(
    tmp_path: Path, live_server: Any, transactional_db: Any
) -> Iterator[OidcSetup]:
    """A provider whose published JWKS holds another key under the signing key's ID."""
    base = app_url(live_server)
    op = start_oidc_provider(
        tmp_path, clients=[_oidc_client(base, "riverside")], publish_other_key=True
    )
    try:
        yield OidcSetup(op=op, provider=oidc_provider_row(op), base=base)
    finally:
        op.stop()


@pytest.fixture
def oidc_setup_asserting(
    request: pytest.FixtureRequest, tmp_path: Path, live_server: Any, transactional_db: Any
) -> Iterator[OidcSetup]:
    """oidc-provider whose ID tokens carry the authentication methods and context class in
    `request.param` ({"amr": [...], "acr": "..."}), for every sign-in (parametrize with
    indirect=True)."""
    asserted: dict[str, Any] = request.param
    base = app_url(live_server)
    op = start_oidc_provider(
        tmp_path,
        clients=[_oidc_client(base, "riverside")],
        login_amr=asserted.get("amr"),
        login_acr=asserted.get("acr"),
    )
    try:
        yield OidcSetup(op=op, provider=oidc_provider_row(op), base=base)
    finally:
        op.stop()

"""Configuring single sign-on and the rules around it, without starting a provider: the admin
imports IdP metadata, the SP metadata is served, the sign-in page offers each provider, the
password form refuses SSO-only domains, and MFA from an IdP counts for that session only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from lxml import etree

from accounts.sessions import IDP_SESSION_KEY, mfa_asserted_by_idp
from sso.models import EmailDomain, IdentityProvider
from sso.services import SignInRefused, sp_keypair_ensure, sso_admit
from tests import factories
from tests.sso.keys import pem_body, self_signed

pytestmark = pytest.mark.django_db

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


def idp_metadata(entity_id: str = "https://idp.northbridge.edu/idp") -> str:
    cert, _ = self_signed("idp.northbridge.edu")
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{pem_body(cert)}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.northbridge.edu/slo"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.northbridge.edu/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def saml_provider(**fields) -> IdentityProvider:
    provider = IdentityProvider(
        institution=fields.pop("institution", None) or factories.InstitutionFactory(),
        name=fields.pop("name", "Northbridge SSO"),
        slug=fields.pop("slug", "northbridge"),
        protocol=IdentityProvider.Protocol.SAML,
        saml_idp={
            "entity_id": "https://idp.northbridge.edu/idp",
            "sso_url": "https://idp.northbridge.edu/sso",
            "slo_url": "https://idp.northbridge.edu/slo",
            "x509cert": pem_body(self_signed("idp")[0]),
        },
        **fields,
    )
    sp_keypair_ensure(provider=provider)
    provider.save()
    return provider


def admin_form(institution, **overrides):
    data = {
        "institution": institution.pk,
        "name": "Northbridge SSO",
        "slug": "northbridge",
        "protocol": "saml",
        "enabled": "on",
        "mfa_values": "https://refeds.org/profile/mfa",
        "saml_allow_idp_initiated": "on",
        "saml_attributes": "{}",
        "import_metadata_url": "",
        "domains-TOTAL_FORMS": "1",
        "domains-INITIAL_FORMS": "0",
        "domains-MIN_NUM_FORMS": "0",
        "domains-MAX_NUM_FORMS": "1000",
        "domains-0-domain": "NorthBridge.edu",
        "domains-0-authoritative": "on",
        "domains-0-sso_required": "on",
    }
    data.update(overrides)
    return data


def test_admin_imports_idp_metadata_from_a_file_and_makes_the_sp_key_pair(admin_user, client):
    client.force_login(admin_user)
    institution = factories.InstitutionFactory()
    upload = SimpleUploadedFile("idp.xml", idp_metadata().encode(), content_type="text/xml")
    response = client.post(
        "/admin/sso/identityprovider/add/", {**admin_form(institution), "metadata_file": upload}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    provider = IdentityProvider.objects.get()
    assert provider.saml_idp["entity_id"] == "https://idp.northbridge.edu/idp"
    assert provider.saml_idp["sso_url"] == "https://idp.northbridge.edu/sso"
    assert provider.saml_idp["slo_url"] == "https://idp.northbridge.edu/slo"
    assert "BEGIN CERTIFICATE" in provider.sp_certificate
    assert "PRIVATE KEY" in provider.sp_private_key
    assert provider.domains.get().domain == "northbridge.edu"


def test_admin_says_what_is_wrong_with_unreadable_metadata(admin_user, client):
    client.force_login(admin_user)
    institution = factories.InstitutionFactory()
    upload = SimpleUploadedFile("idp.xml", b"<not-metadata/>", content_type="text/xml")
    response = client.post(
        "/admin/sso/identityprovider/add/", {**admin_form(institution), "metadata_file": upload}
    )
    assert response.status_code == 200
    assert "names no identity provider" in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_admin_asks_for_metadata_for_a_saml_provider(admin_user, client):
    client.force_login(admin_user)
    response = client.post(
        "/admin/sso/identityprovider/add/", admin_form(factories.InstitutionFactory())
    )
    assert "Import the IdP" in response.content.decode()


def test_admin_names_the_missing_oidc_settings(admin_user, client):
    client.force_login(admin_user)
    data = admin_form(factories.InstitutionFactory(), protocol="openid_connect", oidc_issuer="")
    response = client.post("/admin/sso/identityprovider/add/", data)
    assert "OpenID Connect needs the issuer, client ID, client secret" in response.content.decode()


def test_admin_says_when_saml_is_unavailable(admin_user, client, settings):
    settings.SAML_AVAILABLE = False
    client.force_login(admin_user)
    response = client.get("/admin/sso/identityprovider/add/")
    assert "SAML is unavailable on this server" in response.content.decode()


def test_sp_metadata_offers_signing_and_encryption_keys_and_both_endpoints(settings):
    settings.ALLOWED_HOSTS = ["portfolio.northbridge.edu"]
    provider = saml_provider()
    response = Client(HTTP_HOST="portfolio.northbridge.edu").get(
        f"/accounts/saml/{provider.slug}/metadata/"
    )
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    uses = {k.get("use") for k in root.iter(f"{{{MD}}}KeyDescriptor")}
    assert uses == {"signing", "encryption"}
    acs = next(root.iter(f"{{{MD}}}AssertionConsumerService")).get("Location")
    slo = next(root.iter(f"{{{MD}}}SingleLogoutService")).get("Location")
    assert acs == "http://portfolio.northbridge.edu/accounts/saml/northbridge/acs/"
    assert slo == "http://portfolio.northbridge.edu/accounts/saml/northbridge/sls/"
    sp = next(root.iter(f"{{{MD}}}SPSSODescriptor"))
    assert sp.get("WantAssertionsSigned") == "true"


def test_sign_in_page_offers_each_enabled_provider_and_allows_posting_to_it(client):
    saml_provider()
    saml_provider(slug="old", name="Old SSO", enabled=False)
    response = client.get("/accounts/login/")
    page = response.content.decode()
    assert "Sign in with Northbridge SSO" in page
    assert "Old SSO" not in page
    assert 'action="/accounts/saml/northbridge/login/"' in page
    # The button posts to us and we redirect to the IdP: form-action must allow its origin.
    assert "https://idp.northbridge.edu" in response["Content-Security-Policy"]


def test_pages_without_sign_in_buttons_keep_form_action_to_self(client, learner):
    saml_provider()
    client.force_login(learner)
    policy = client.get("/")["Content-Security-Policy"]
    assert "idp.northbridge.edu" not in policy


def test_password_sign_in_is_refused_for_a_domain_that_requires_sso(client):
    provider = saml_provider()
    EmailDomain.objects.create(provider=provider, domain="northbridge.edu", sso_required=True)
    factories.UserFactory(email="ada@northbridge.edu", password="a-long-passphrase-42")
    response = client.post(
        "/accounts/login/", {"login": "ada@northbridge.edu", "password": "a-long-passphrase-42"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Addresses at northbridge.edu sign in through" in page
    assert "Sign in with Northbridge SSO" in page
    assert "_auth_user_id" not in client.session


def test_a_personal_address_on_the_same_account_still_signs_in_with_its_password(client):
    from allauth.account.models import EmailAddress

    provider = saml_provider()
    EmailDomain.objects.create(provider=provider, domain="northbridge.edu", sso_required=True)
    ada = factories.UserFactory(email="ada@northbridge.edu", password="a-long-passphrase-42")
    EmailAddress.objects.create(user=ada, email="ada@example.org", verified=True)
    response = client.post(
        "/accounts/login/", {"login": "ada@example.org", "password": "a-long-passphrase-42"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ada.pk)


def test_admission_joins_only_where_the_idp_is_authoritative():
    provider = saml_provider()
    domain = EmailDomain.objects.create(provider=provider, domain="northbridge.edu")
    ada = factories.UserFactory(email="ada@northbridge.edu")
    with pytest.raises(SignInRefused, match="already exists"):
        sso_admit(provider=provider, email="ada@northbridge.edu", existing_user=None, mfa_values=[])
    domain.authoritative = True
    domain.save()
    admitted = sso_admit(
        provider=provider, email="ADA@northbridge.edu", existing_user=None, mfa_values=[]
    )
    assert admitted.user == ada
    assert admitted.email_verified
    # A new address in an unclaimed domain opens a new, unverified account.
    fresh = sso_admit(provider=provider, email="ada@gmail.test", existing_user=None, mfa_values=[])
    assert fresh.user is None
    assert not fresh.email_verified


def test_admission_refuses_another_institutions_domain_and_a_missing_address():
    ours = saml_provider()
    theirs = saml_provider(slug="riverside", name="Riverside")
    EmailDomain.objects.create(provider=theirs, domain="riverside.org", authoritative=True)
    with pytest.raises(SignInRefused, match="belongs to"):
        sso_admit(provider=ours, email="chief@riverside.org", existing_user=None, mfa_values=[])
    with pytest.raises(SignInRefused, match="did not send an email"):
        sso_admit(provider=ours, email="", existing_user=None, mfa_values=[])


def test_mfa_counts_only_when_asserted_or_enforced():
    provider = saml_provider()
    user = factories.UserFactory()
    plain = sso_admit(
        provider=provider,
        email=user.email,
        existing_user=user,
        mfa_values=["urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"],
    )
    assert not plain.mfa
    asserted = sso_admit(
        provider=provider,
        email=user.email,
        existing_user=user,
        mfa_values=["https://refeds.org/profile/mfa"],
    )
    assert asserted.mfa
    provider.enforces_mfa = True
    assert sso_admit(provider=provider, email=user.email, existing_user=user, mfa_values=[]).mfa


def test_mfa_from_an_idp_belongs_to_the_session_of_the_person_it_signed_in(rf):
    ada, ben = factories.UserFactory(), factories.UserFactory()
    request = rf.get("/")
    request.session = {IDP_SESSION_KEY: {"provider": "x", "mfa": True, "user": ada.pk}}
    request.user = ada
    assert mfa_asserted_by_idp(request)
    request.user = ben
    assert not mfa_asserted_by_idp(request)


@pytest.mark.parametrize("providers", [1, 4])
def test_sign_in_page_reads_the_providers_in_one_query_whatever_their_number(
    client, providers, django_assert_num_queries
):
    institution = factories.InstitutionFactory()
    for n in range(providers):
        saml_provider(slug=f"idp-{n}", name=f"IdP {n}", institution=institution)
    client.get("/accounts/login/")  # fills the cache of IdP origins for form-action
    # Expect 1 query:
    # * the enabled identity providers with their institutions (the buttons)
    with django_assert_num_queries(1):
        response = client.get("/accounts/login/")
    assert response.content.decode().count("Sign in with IdP") == providers


def test_sso_settings_changes_are_in_the_institutions_audit_log(admin_user, client):
    """Creating, changing and deleting an identity provider in the admin is recorded with the
    settings before and after (no secret or private key), under its institution, where that
    institution's administrators read it and another's do not."""
    from audit.models import AuditEvent
    from programs.services import institution_role_grant

    client.force_login(admin_user)
    institution = factories.InstitutionFactory()
    upload = SimpleUploadedFile("idp.xml", idp_metadata().encode(), content_type="text/xml")
    response = client.post(
        "/admin/sso/identityprovider/add/", {**admin_form(institution), "metadata_file": upload}
    )
    assert response.status_code == 302
    provider = IdentityProvider.objects.get()
    created = AuditEvent.objects.get(action="identity_provider.create")
    assert created.institution_id == institution.pk and created.actor == admin_user
    assert created.after["domains"] == ["northbridge.edu authoritative sso-required"]
    assert created.after["idp_entity_id"] == "https://idp.northbridge.edu/idp"
    assert len(created.after["sp_certificate"]) == 16  # a fingerprint, not the key
    assert "PRIVATE" not in str(created.after)

    domain = provider.domains.get()
    change = {
        **admin_form(institution, enforces_mfa="on"),
        "domains-INITIAL_FORMS": "1",
        "domains-0-id": str(domain.pk),
        "domains-0-provider": str(provider.pk),
        "domains-0-sso_required": "",
    }
    response = client.post(f"/admin/sso/identityprovider/{provider.pk}/change/", change)
    assert response.status_code == 302, response.content.decode()[:3000]
    updated = AuditEvent.objects.get(action="identity_provider.update")
    assert updated.before == {
        "domains": ["northbridge.edu authoritative sso-required"],
        "enforces_mfa": False,
    }
    assert updated.after == {"domains": ["northbridge.edu authoritative"], "enforces_mfa": True}

    response = client.post(f"/admin/sso/identityprovider/{provider.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEvent.objects.get(action="identity_provider.delete")
    assert deleted.before["slug"] == "northbridge" and deleted.after is None

    it_lead = factories.UserFactory()
    institution_role_grant(institution=institution, user=it_lead, by=admin_user)
    elsewhere = factories.UserFactory()
    institution_role_grant(
        institution=factories.InstitutionFactory(), user=elsewhere, by=admin_user
    )
    client.force_login(it_lead)
    actions = {e["action"] for e in client.get("/api/v1/audit/events/").json()["results"]}
    assert {"identity_provider.create", "identity_provider.update"} <= actions
    client.force_login(elsewhere)
    actions = {e["action"] for e in client.get("/api/v1/audit/events/").json()["results"]}
    assert not any(action.startswith("identity_provider.") for action in actions)

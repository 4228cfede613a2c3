"""SAML 2.0 against SimpleSAMLphp on loopback: what the IdP really sends is accepted once, and
every altered, misdirected, expired or replayed answer is refused with a reason, leaving no
account created or changed."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from lxml import etree

from accounts.models import User
from programs.models import ProgramRole
from sso.models import UsedAssertion
from tests import factories
from tests.sso.fixtures import SamlSetup, saml_provider
from tests.sso.flows import PostedForm, decoded, simplesamlphp_answer, with_response
from tests.sso.simplesamlphp import PEOPLE

pytestmark = [pytest.mark.sso, pytest.mark.django_db(transaction=True)]

DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def client_for(setup: SamlSetup) -> Client:
    return Client(HTTP_HOST=urlsplit(setup.base).netloc)


def post_to_acs(client: Client, answer: PostedForm):
    """Post the IdP's answer to the ACS and follow allauth's hop to the finishing view."""
    path = urlsplit(answer.action).path
    first = client.post(path, answer.fields)
    assert first.status_code == 302, first
    return client.get(first["Location"])


def idp_initiated(setup: SamlSetup, login: str, entity_id: str | None = None) -> PostedForm:
    entity = entity_id or setup.sp_urls()["entity_id"]
    return simplesamlphp_answer(
        setup.idp.idp_initiated_url(entity),
        login=login,
        password=str(PEOPLE[login]["password"]),
    )


def plain_setup(setup: SamlSetup) -> SamlSetup:
    """The same IdP for a second institution provider whose assertions are not encrypted, so a
    test can read and alter them."""
    provider = saml_provider(
        setup.idp,
        setup.base,
        slug="northbridge-plain",
        institution=setup.provider.institution,
        domain="",
        require_encryption=False,
    )
    return SamlSetup(idp=setup.idp, provider=provider, base=setup.base)


def refusal(response) -> str:
    assert response.status_code in (400, 403), response.status_code
    text = response.content.decode()
    found = re.search(r"data-sso-reason>(.*?)</p>", text, re.S)
    assert found, text[:2000]
    return found.group(1)


def test_sp_initiated_sign_in_creates_the_account_from_the_assertion(saml_setup):
    client = client_for(saml_setup)
    start = client.post(saml_setup.sp_urls()["login"].replace(saml_setup.base, ""))
    assert start.status_code == 302
    assert start["Location"].startswith(saml_setup.idp.base)
    answer = simplesamlphp_answer(start["Location"], login="ada", password="ada-secret")
    # Encrypted: the assertion travels as ciphertext to this service's certificate.
    assert b"EncryptedAssertion" in decoded(answer)
    done = post_to_acs(client, answer)
    assert done.status_code == 302, done.content[:500]
    user = User.objects.get(email="ada@northbridge.edu")
    assert user.display_name == "Ada Osei"
    assert client.get("/api/v1/me/").status_code == 200
    assert user.emailaddress_set.get().verified  # the IdP is authoritative for the domain


def test_idp_initiated_sign_in_works_once_and_a_replay_is_refused(saml_setup):
    answer = idp_initiated(saml_setup, "ada")
    first = client_for(saml_setup)
    assert post_to_acs(first, answer).status_code == 302
    assert first.get("/api/v1/me/").status_code == 200
    assert UsedAssertion.objects.count() == 1

    thief = client_for(saml_setup)
    reason = refusal(post_to_acs(thief, answer))
    assert "already used" in reason
    assert thief.get("/api/v1/me/").status_code in (401, 403)
    assert User.objects.count() == 1


def test_idp_initiated_sign_in_is_refused_where_the_institution_turned_it_off(saml_setup):
    saml_setup.provider.saml_allow_idp_initiated = False
    saml_setup.provider.save()
    response = post_to_acs(client_for(saml_setup), idp_initiated(saml_setup, "ada"))
    assert response.status_code == 400
    assert not User.objects.exists()


def test_a_tampered_assertion_is_refused(saml_setup):
    plain = plain_setup(saml_setup)
    answer = idp_initiated(plain, "ada")
    xml = decoded(answer)
    assert b"ada@northbridge.edu" in xml
    forged = xml.replace(b"ada@northbridge.edu", b"dean@northbridge.edu")
    client = client_for(plain)
    reason = refusal(post_to_acs(client, with_response(answer, forged)))
    assert "ignature" in reason  # the digest no longer matches what the IdP signed
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_an_unsigned_response_is_refused(saml_setup):
    plain = plain_setup(saml_setup)
    answer = idp_initiated(plain, "ada")
    root = etree.fromstring(decoded(answer))
    for signature in root.iter(f"{{{DS}}}Signature"):
        signature.getparent().remove(signature)
    reason = refusal(post_to_acs(client_for(plain), with_response(answer, etree.tostring(root))))
    assert "signed" in reason.lower()
    assert not User.objects.exists()


def test_an_assertion_for_another_audience_is_refused(saml_setup):
    # Another service provider at the same IdP, whose answers are posted to our ACS.
    other = "urn:test:another-service"
    urls = saml_setup.sp_urls()
    saml_setup.idp.add_service_provider(
        entity_id=other,
        acs=urls["acs"],
        sls=urls["sls"],
        certificate=saml_setup.provider.sp_certificate,
    )
    reason = refusal(post_to_acs(client_for(saml_setup), idp_initiated(saml_setup, "ada", other)))
    assert "audience" in reason.lower()
    assert not User.objects.exists()


def test_an_expired_assertion_is_refused(saml_setup):
    late = saml_provider(
        saml_setup.idp,
        saml_setup.base,
        slug="northbridge-late",
        institution=saml_setup.provider.institution,
        domain="",
        lifetime=-900,  # the IdP issues it already 15 minutes past its end
    )
    setup = SamlSetup(idp=saml_setup.idp, provider=late, base=saml_setup.base)
    reason = refusal(post_to_acs(client_for(setup), idp_initiated(setup, "ada")))
    assert "expired" in reason.lower() or "timestamp" in reason.lower()
    assert not User.objects.exists()


def test_an_assertion_for_another_institutions_domain_never_opens_its_accounts(saml_setup):
    riverside = factories.InstitutionFactory(name="Riverside Health")
    from sso.models import EmailDomain, IdentityProvider

    theirs = IdentityProvider.objects.create(
        institution=riverside, name="Riverside", slug="riverside", protocol="openid_connect"
    )
    EmailDomain.objects.create(provider=theirs, domain="riverside.org", authoritative=True)
    chief = factories.UserFactory(email="chief@riverside.org")
    reason = refusal(post_to_acs(client_for(saml_setup), idp_initiated(saml_setup, "mallory")))
    assert "riverside.org" in reason
    assert not SocialAccount.objects.exists()
    chief.refresh_from_db()
    assert chief.last_login is None


def test_an_authoritative_idp_joins_the_roster_account_made_before_the_first_sign_in(saml_setup):
    # The roster import created the account; the person never signed in.
    program = factories.ProgramFactory(institution=saml_setup.provider.institution)
    ada = factories.UserFactory(email="ada@northbridge.edu", display_name="Ada O.")
    factories.ProgramRoleFactory(user=ada, program=program, role="faculty")
    client = client_for(saml_setup)
    assert post_to_acs(client, idp_initiated(saml_setup, "ada")).status_code == 302
    assert User.objects.count() == 1
    assert SocialAccount.objects.get().user == ada
    assert ProgramRole.objects.filter(user=ada).exists()


def test_a_non_authoritative_idp_does_not_join_an_existing_account(saml_setup):
    saml_setup.provider.domains.update(authoritative=False)
    ada = factories.UserFactory(email="ada@northbridge.edu")
    reason = refusal(post_to_acs(client_for(saml_setup), idp_initiated(saml_setup, "ada")))
    assert "already exists" in reason
    assert not SocialAccount.objects.exists()
    ada.refresh_from_db()
    assert ada.last_login is None


@pytest.mark.parametrize("idp_asserts_mfa", [True, False])
def test_staff_mfa_is_satisfied_only_by_an_asserted_authn_context(
    saml_setup, settings, idp_asserts_mfa
):
    settings.ENFORCE_STAFF_MFA = True
    setup = saml_setup
    if idp_asserts_mfa:
        # SimpleSAMLphp adds the REFEDS MFA AuthnContextClassRef for this service provider.
        saml_setup.provider.enabled = False
        saml_setup.provider.save()
        provider = saml_provider(
            saml_setup.idp,
            saml_setup.base,
            slug="northbridge-mfa",
            institution=saml_setup.provider.institution,
            domain="",
            mfa=True,
        )
        setup = SamlSetup(idp=saml_setup.idp, provider=provider, base=saml_setup.base)
    ada = factories.UserFactory(email="ada@northbridge.edu")
    program = factories.ProgramFactory(institution=saml_setup.provider.institution)
    factories.ProgramRoleFactory(user=ada, program=program, role="director")
    client = client_for(setup)
    if idp_asserts_mfa:
        # Not authoritative for the domain: link the IdP to the director's account first.
        SocialAccount.objects.create(
            user=ada, provider=setup.provider.slug, uid="ada@northbridge.edu"
        )
    assert post_to_acs(client, idp_initiated(setup, "ada")).status_code == 302
    home = client.get("/")
    if idp_asserts_mfa:
        assert home.status_code == 200
    else:
        assert home.status_code == 302
        assert "/2fa/totp/activate" in home["Location"]


def test_a_service_provider_registered_again_with_a_new_key_is_trusted_at_once(saml_setup):
    """Each test registers its service provider at the shared SimpleSAMLphp with a new key
    pair, under the same entity ID. The IdP must check the very next signed AuthnRequest
    against the new certificate, however soon it comes after a request that read the old one
    (PHP's opcache kept the old metadata file for up to two seconds; see
    tests/sso/simplesamlphp.py)."""
    import time

    import requests

    from sso.services import sp_keypair_ensure

    client = client_for(saml_setup)
    login = saml_setup.sp_urls()["login"].replace(saml_setup.base, "")
    # Let the metadata file grow older than opcache's update protection (2 s), so the IdP
    # would keep the compiled file; then have it read the file once.
    time.sleep(2.2)
    first = requests.get(client.post(login)["Location"], timeout=15)
    assert first.status_code == 200 and 'name="username"' in first.text

    provider = saml_setup.provider
    provider.sp_certificate = provider.sp_private_key = ""
    sp_keypair_ensure(provider=provider)
    provider.save()
    urls = saml_setup.sp_urls()
    saml_setup.idp.add_service_provider(
        entity_id=urls["entity_id"],
        acs=urls["acs"],
        sls=urls["sls"],
        certificate=provider.sp_certificate,
    )
    second = requests.get(client.post(login)["Location"], timeout=15)
    assert "Unable to validate signature" not in second.text
    assert second.status_code == 200 and 'name="username"' in second.text

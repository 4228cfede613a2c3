"""OpenID Connect against panva's oidc-provider on loopback: authorization code with PKCE and a
nonce; a callback with the wrong state or nonce, or an ID token whose key is not among the
provider's published keys, is refused with a reason and opens no account."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from tests import factories
from tests.sso.fixtures import OidcSetup
from tests.sso.flows import oidc_provider_answer

pytestmark = [pytest.mark.sso, pytest.mark.django_db(transaction=True)]


def client_for(setup: OidcSetup) -> Client:
    return Client(HTTP_HOST=urlsplit(setup.base).netloc)


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def start(client: Client, setup: OidcSetup) -> str:
    response = client.post(f"/accounts/oidc/{setup.provider.slug}/login/")
    assert response.status_code == 302
    return str(response["Location"])


def finish(client: Client, callback: str):
    parts = urlsplit(callback)
    return client.get(f"{parts.path}?{parts.query}")


def refusal(response) -> str:
    assert response.status_code in (400, 403), (response.status_code, response.content[:500])
    found = re.search(r"data-sso-reason>(.*?)</p>", response.content.decode(), re.S)
    assert found
    return found.group(1)


def test_authorization_request_carries_pkce_and_a_nonce(oidc_setup):
    query = dict(parse_qsl(urlsplit(start(client_for(oidc_setup), oidc_setup)).query))
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) >= 43
    assert len(query["nonce"]) >= 20
    assert query["state"]
    assert query["response_type"] == "code"


def test_sign_in_creates_the_account_and_the_next_one_reuses_it(oidc_setup):
    for _ in range(2):
        client = client_for(oidc_setup)
        callback = oidc_provider_answer(
            start(client, oidc_setup), login="cora", app_base=oidc_setup.base
        )
        assert finish(client, callback).status_code == 302
        assert client.get("/api/v1/me/").json()["email"] == "cora@riverside.org"
    assert User.objects.count() == 1
    assert SocialAccount.objects.get().uid == "cora"


def test_a_callback_with_another_state_is_refused(oidc_setup):
    client = client_for(oidc_setup)
    callback = oidc_provider_answer(
        start(client, oidc_setup), login="cora", app_base=oidc_setup.base
    )
    reason = refusal(finish(client, with_query(callback, state="not-the-state-we-sent")))
    assert "state" in reason
    assert not User.objects.exists()
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_an_id_token_with_another_nonce_is_refused(oidc_setup):
    client = client_for(oidc_setup)
    # The provider faithfully puts in the ID token whatever nonce the request carried.
    authorize = with_query(start(client, oidc_setup), nonce="a-nonce-from-another-sign-in")
    callback = oidc_provider_answer(authorize, login="cora", app_base=oidc_setup.base)
    reason = refusal(finish(client, callback))
    assert "nonce" in reason
    assert not User.objects.exists()


def test_an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    oidc_setup_wrong_keys,
):
    setup = oidc_setup_wrong_keys
    client = client_for(setup)
    callback = oidc_provider_answer(start(client, setup), login="cora", app_base=setup.base)
    reason = refusal(finish(client, callback))
    assert "signature does not match a key the provider publishes" in reason
    assert not User.objects.exists()


@pytest.mark.parametrize("enforces_mfa", [True, False])
def test_staff_mfa_is_satisfied_by_the_provider_only_when_it_enforces_mfa(
    oidc_setup, settings, enforces_mfa
):
    settings.ENFORCE_STAFF_MFA = True
    oidc_setup.provider.enforces_mfa = enforces_mfa
    oidc_setup.provider.save()
    program = factories.ProgramFactory(institution=oidc_setup.provider.institution)
    cora = factories.UserFactory(email="cora@riverside.org")
    factories.ProgramRoleFactory(user=cora, program=program, role="director")
    client = client_for(oidc_setup)
    callback = oidc_provider_answer(
        start(client, oidc_setup), login="cora", app_base=oidc_setup.base
    )
    assert finish(client, callback).status_code == 302
    home = client.get("/")
    if enforces_mfa:
        assert home.status_code == 200
    else:
        assert home.status_code == 302
        assert "/2fa/totp/activate" in home["Location"]


def test_a_signed_in_person_connects_an_institution_sign_in_to_their_own_account(oidc_setup):
    # A personal account (another address) adds the hospital's sign-in; the IdP's address does
    # not have to match, and no second account appears.
    person = factories.UserFactory(email="cora.personal@example.org")
    client = client_for(oidc_setup)
    client.force_login(person)
    response = client.post(
        f"/accounts/oidc/{oidc_setup.provider.slug}/login/", {"process": "connect"}
    )
    assert response.status_code == 302
    callback = oidc_provider_answer(response["Location"], login="cora", app_base=oidc_setup.base)
    assert finish(client, callback).status_code == 302
    linked = SocialAccount.objects.get()
    assert linked.user == person
    assert User.objects.count() == 1

    # Later, signing in through the IdP opens that same personal account.
    fresh = client_for(oidc_setup)
    callback = oidc_provider_answer(
        start(fresh, oidc_setup), login="cora", app_base=oidc_setup.base
    )
    assert finish(fresh, callback).status_code == 302
    assert fresh.get("/api/v1/me/").json()["email"] == "cora.personal@example.org"

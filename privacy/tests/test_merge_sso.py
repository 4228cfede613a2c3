"""Merging an account that signs in only through an identity provider: the merge page sends
the person to a fresh sign-in at the real provider (oidc-provider on loopback), which proves
the other account without signing anyone in; an account with two-factor authentication also
gives its code."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User
from portfolio.tests.factories import EvidenceFactory
from privacy.tests.test_merge import totp_code, totp_for
from tests import factories
from tests.sso.fixtures import OidcSetup
from tests.sso.flows import oidc_provider_answer

pytestmark = [pytest.mark.sso, pytest.mark.django_db(transaction=True)]


def signed_in(setup: OidcSetup, user: User) -> Client:
    client = Client(HTTP_HOST=urlsplit(setup.base).netloc)
    client.force_login(user)
    return client


def sso_only_account(setup: OidcSetup) -> User:
    """Cora's account from the hospital's sign-in: no password, linked to the provider."""
    cora = factories.UserFactory(email="cora@riverside.org")
    cora.set_unusable_password()
    cora.save()
    SocialAccount.objects.create(user=cora, provider=setup.provider.slug, uid="cora")
    return cora


def prove(client: Client, setup: OidcSetup, login: str = "cora"):
    """Start the proof on the merge page, sign in at the provider, come back."""
    start = client.post("/account/merge/", {"prove": setup.provider.slug})
    assert start.status_code == 302
    authorize = str(start["Location"])
    assert authorize.startswith(setup.op.issuer)
    query = dict(parse_qsl(urlsplit(authorize).query))
    # A fresh sign-in: the provider must ask again even if it has a session.
    assert query["prompt"] == "login" and query["max_age"] == "0"
    callback = urlsplit(oidc_provider_answer(authorize, login=login, app_base=setup.base))
    back = client.get(f"{callback.path}?{callback.query}")
    assert back.status_code == 302, back.content[:2000]
    assert back["Location"] == "/account/merge/"
    return client.get("/account/merge/")


def test_an_account_that_signs_in_only_through_sso_is_proven_by_signing_in_to_it(oidc_setup):
    keep = factories.UserFactory(email="cora.personal@example.org")
    client = signed_in(oidc_setup, keep)

    # Before Cora has an account there, the sign-in proves nothing, and neither creates an
    # account nor links the provider to this one.
    page = prove(client, oidc_setup)
    assert "does not open another Continuum account" in page.content.decode()
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()
    nothing = client.post("/api/v1/me/merge/", {"confirm": True}, content_type="application/json")
    assert nothing.status_code == 400

    cora = sso_only_account(oidc_setup)
    EvidenceFactory(learner=cora, title="Night float reflections")
    page = prove(client, oidc_setup)
    text = page.content.decode()
    assert "cora@riverside.org" in text and "Riverside Login" in text
    assert "authenticator" not in text  # no second factor on that account
    # Still signed in as the kept account: the proof signed nobody in.
    assert client.get("/api/v1/me/").json()["email"] == "cora.personal@example.org"

    # Not confirmed: nothing happens.
    assert client.post("/account/merge/", {}).status_code == 400
    cora.refresh_from_db()
    assert cora.is_active

    done = client.post("/account/merge/", {"confirm": "on"})
    assert done.status_code == 302
    cora.refresh_from_db()
    assert not cora.is_active
    assert keep.evidence.filter(title="Night float reflections").exists()
    # The hospital's sign-in now opens the kept account.
    assert SocialAccount.objects.get(provider=oidc_setup.provider.slug).user == keep
    # The proof was used up: a second merge needs a new one.
    assert "You proved it is yours" not in client.get("/account/merge/").content.decode()


def test_an_sso_account_with_two_factor_authentication_also_needs_its_code(oidc_setup):
    keep = factories.UserFactory(email="cora.personal@example.org")
    cora = sso_only_account(oidc_setup)
    secret = totp_for(cora)
    client = signed_in(oidc_setup, keep)

    page = prove(client, oidc_setup)
    assert "authenticator" in page.content.decode()
    missing = client.post("/account/merge/", {"confirm": "on"})
    assert missing.status_code == 400
    assert "uses two-factor authentication" in missing.content.decode()
    wrong = client.post("/account/merge/", {"confirm": "on", "code": "123456"})
    assert wrong.status_code == 400
    cora.refresh_from_db()
    assert cora.is_active

    # The API twin takes the same proof from the session, with the code.
    response = client.post(
        "/api/v1/me/merge/",
        {"confirm": True, "code": totp_code(secret)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    cora.refresh_from_db()
    assert not cora.is_active


def test_proving_the_account_one_is_signed_in_to_proves_nothing(oidc_setup):
    cora = sso_only_account(oidc_setup)
    cora.set_password("a password, so the page needs no re-authentication first")
    cora.save()
    client = signed_in(oidc_setup, cora)
    page = prove(client, oidc_setup)
    assert "does not open another Continuum account" in page.content.decode()
    cora.refresh_from_db()
    assert cora.is_active

"""Single sign-on in Chromium through real identity providers started by the test on
`localhost` (SimpleSAMLphp for SAML 2.0, oidc-provider for OpenID Connect) while Continuum is
reached as `127.0.0.1`, so the sign-in crosses sites as it does in production."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.sso.fixtures import OidcSetup, SamlSetup
from tests.sso.oidc_provider import PEOPLE as OIDC_PEOPLE
from tests.sso.simplesamlphp import PEOPLE as SAML_PEOPLE

pytestmark = [pytest.mark.browser, pytest.mark.sso, pytest.mark.django_db(transaction=True)]


def saml_sign_in(
    page: Page, setup: SamlSetup, login: str, button: str = "Sign in with Northbridge SSO"
) -> None:
    page.goto(f"{setup.base}/accounts/login/")
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(f"{setup.idp.base}**")
    page.locator("input[name=username]").fill(login)
    page.locator("input[name=password]").fill(str(SAML_PEOPLE[login]["password"]))
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{setup.base}/**")


def sign_out(page: Page) -> None:
    page.locator(".account-menu summary").click()
    page.get_by_role("button", name="Log out").click()


def test_saml_sign_in_creates_the_account_then_reuses_it_and_single_logout_ends_both(
    page: Page, saml_setup: SamlSetup
):
    saml_sign_in(page, saml_setup, "ada")
    expect(page.locator(".account-menu summary")).to_be_visible()
    user = User.objects.get(email="ada@northbridge.edu")
    assert user.display_name == "Ada Osei"
    linked = SocialAccount.objects.get(user=user)
    assert linked.provider == "northbridge"
    assert linked.uid == "ada@northbridge.edu"  # eduPersonPrincipalName, stable across sessions

    # Single logout: signing out here ends the IdP session too, so the next sign-in asks again.
    sign_out(page)
    page.wait_for_url(f"{saml_setup.base}/accounts/login/**")
    saml_sign_in(page, saml_setup, "ada")
    expect(page.locator(".account-menu summary")).to_be_visible()
    assert User.objects.filter(email="ada@northbridge.edu").count() == 1
    assert SocialAccount.objects.filter(provider="northbridge").count() == 1


def oidc_sign_in(page: Page, setup: OidcSetup, login: str, *, asks: bool = True) -> None:
    page.goto(f"{setup.base}/accounts/login/")
    page.get_by_role("button", name="Sign in with Riverside Login").click()
    if asks:
        page.wait_for_url(f"{setup.op.issuer}/**")
        page.locator("input[name=login]").fill(login)
        page.locator("input[name=password]").fill("any password the test provider accepts")
        page.get_by_role("button", name="Sign-in").click()
        consent = page.get_by_role("button", name="Continue")
        consent.wait_for()
        consent.click()
    page.wait_for_url(f"{setup.base}/**")


def test_oidc_sign_in_creates_the_account_then_reuses_it_and_end_session_signs_out_there(
    page: Page, oidc_setup: OidcSetup
):
    oidc_sign_in(page, oidc_setup, "cora")
    expect(page.locator(".account-menu summary")).to_be_visible()
    user = User.objects.get(email="cora@riverside.org")
    assert user.display_name == OIDC_PEOPLE["cora"]["name"]
    assert SocialAccount.objects.get(user=user).uid == "cora"

    # Signing out here goes on to the provider's end-session endpoint, which asks to confirm.
    sign_out(page)
    page.wait_for_url(f"{oidc_setup.op.issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{oidc_setup.base}/accounts/login/**")

    # The provider's session ended too: the next sign-in asks for the login again.
    oidc_sign_in(page, oidc_setup, "cora")
    expect(page.locator(".account-menu summary")).to_be_visible()
    assert User.objects.filter(email="cora@riverside.org").count() == 1
    assert SocialAccount.objects.count() == 1


def test_a_saml_response_altered_on_its_way_is_refused_in_the_browser(
    page: Page, saml_setup: SamlSetup
):
    """The browser carries the IdP's answer; one changed on the way fails its signature check.
    The provider here does not encrypt, so the change is to the signed text itself."""
    import base64
    from urllib.parse import parse_qsl, urlencode

    from tests.sso.fixtures import saml_provider

    saml_setup.provider.enabled = False
    saml_setup.provider.save()
    saml_provider(
        saml_setup.idp,
        saml_setup.base,
        slug="northbridge-plain",
        institution=saml_setup.provider.institution,
        domain="",
        require_encryption=False,
    )

    def alter(route):
        fields = dict(parse_qsl(route.request.post_data or ""))
        xml = base64.b64decode(fields["SAMLResponse"])
        assert b"ada@northbridge.edu" in xml
        fields["SAMLResponse"] = base64.b64encode(
            xml.replace(b"ada@northbridge.edu", b"dean@northbridge.edu")
        ).decode()
        route.continue_(post_data=urlencode(fields))

    page.route("**/accounts/saml/*/acs/", alter)
    saml_sign_in(page, saml_setup, "ada")
    expect(
        page.get_by_role("heading", name="Sign-in through Northbridge SSO was refused")
    ).to_be_visible()
    expect(page.locator("[data-sso-reason]")).to_contain_text("Signature validation failed")
    expect(page.get_by_text("No account was created or changed.")).to_be_visible()
    assert not User.objects.exists()


def test_a_logout_started_at_the_saml_idp_ends_the_continuum_session(
    page: Page, saml_setup: SamlSetup
):
    from urllib.parse import urlencode

    saml_sign_in(page, saml_setup, "ada")
    expect(page.locator(".account-menu summary")).to_be_visible()
    done = f"{saml_setup.idp.base}module.php/core/frontpage_welcome.php"
    with page.expect_response(lambda r: "/accounts/saml/northbridge/sls/" in r.url) as sls:
        page.goto(f"{saml_setup.idp.base}saml2/idp/initSLO.php?{urlencode({'RelayState': done})}")
    assert sls.value.status == 302  # our answer: a signed LogoutResponse back to the IdP
    page.wait_for_url(f"{done}**")
    # Our session ended on the way (the IdP's LogoutRequest reached /sls/).
    page.goto(f"{saml_setup.base}/accounts/email/")
    page.wait_for_url(f"{saml_setup.base}/accounts/login/**")
    expect(page.locator(".account-menu summary")).to_have_count(0)


def test_the_sign_in_choices_fit_a_phone(phone_page: Page, saml_setup: SamlSetup):
    phone_page.goto(f"{saml_setup.base}/accounts/login/")
    button = phone_page.get_by_role("button", name="Sign in with Northbridge SSO")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    # Keyboard: the button is reachable with Tab and starts the sign-in with Enter.
    button.focus()
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_url(f"{saml_setup.idp.base}**")


def test_a_person_who_came_through_sso_adds_a_personal_address_and_password_to_keep_access(
    page: Page, saml_setup: SamlSetup
):
    """The portfolio outlives the institution: a personal address and password on the same
    account still sign in where the institutional address must use the IdP."""
    import re

    from django.core import mail

    saml_sign_in(page, saml_setup, "ada")
    page.goto(f"{saml_setup.base}/accounts/email/")
    page.get_by_label("Email").fill("ada.osei@example.org")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_text("Confirmation email sent to ada.osei@example.org.")).to_be_visible()
    message = next(m for m in mail.outbox if "ada.osei@example.org" in m.to)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert link is not None
    page.goto(link.group(0).replace("localhost", "127.0.0.1"))
    page.get_by_role("button", name="Confirm my address").click()

    page.goto(f"{saml_setup.base}/accounts/password/set/")
    page.get_by_label("Password", exact=True).fill("a-personal-passphrase-for-later-42")
    page.get_by_label("Password (again)").fill("a-personal-passphrase-for-later-42")
    page.get_by_role("button", name=re.compile("Set password", re.I)).click()
    sign_out(page)
    page.wait_for_url(f"{saml_setup.base}/accounts/login/**")

    # The institutional address may not use the password form...
    page.get_by_label("Email").fill("ada@northbridge.edu")
    page.get_by_label("Password").fill("a-personal-passphrase-for-later-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Addresses at northbridge.edu sign in through")).to_be_visible()
    # ...the personal one opens the same account.
    page.get_by_label("Email").fill("ada.osei@example.org")
    page.get_by_label("Password").fill("a-personal-passphrase-for-later-42")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".account-menu summary")).to_be_visible()
    assert User.objects.count() == 1


def test_a_sign_in_started_by_a_link_continues_to_the_idp(page: Page, saml_setup: SamlSetup):
    # A portal link to /accounts/saml/<slug>/login/ shows a page with one button (a GET never
    # leaves by itself); that button's redirect to the IdP must pass the form-action policy.
    page.goto(f"{saml_setup.base}/accounts/saml/northbridge/login/")
    page.get_by_role("button", name="Continue to Northbridge SSO").click()
    page.wait_for_url(f"{saml_setup.idp.base}**")
    expect(page.locator("input[name=username]")).to_be_visible()


def _director_at(institution, email: str) -> User:
    from tests import factories

    person = factories.UserFactory(email=email)
    program = factories.ProgramFactory(institution=institution)
    factories.ProgramRoleFactory(user=person, program=program, role="director")
    return person


def _gated(page: Page, base: str) -> None:
    """The staff MFA gate: sent to set up TOTP (after confirming it is them), not the page."""
    page.goto(f"{base}/programs/")
    expect(page.get_by_text("Your role requires two-factor authentication.")).to_be_visible()
    expect(page.get_by_role("heading", name="Programs", exact=True)).to_have_count(0)


def _through(page: Page, base: str) -> None:
    page.goto(f"{base}/programs/")
    expect(page.get_by_role("heading", name="Programs", exact=True)).to_be_visible()
    assert "/2fa/" not in page.url


@pytest.mark.parametrize(
    "oidc_setup_asserting",
    [{"amr": {"cora": ["pwd", "mfa"], "dora": ["pwd"]}}],
    indirect=True,
)
def test_a_director_passes_the_staff_mfa_gate_only_when_oidc_asserts_mfa(
    page: Page, oidc_setup_asserting: OidcSetup, settings
):
    """oidc-provider's ID token says how each person signed in (`amr`): "mfa" there counts as
    a director's second factor; a password alone does not, and TOTP is still asked for."""
    settings.ENFORCE_STAFF_MFA = True
    setup = oidc_setup_asserting
    _director_at(setup.provider.institution, "cora@riverside.org")
    _director_at(setup.provider.institution, "dora@riverside.org")

    oidc_sign_in(page, setup, "cora")  # amr: pwd, mfa
    _through(page, setup.base)
    sign_out(page)
    page.wait_for_url(f"{setup.op.issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{setup.base}/accounts/login/**")

    oidc_sign_in(page, setup, "dora")  # amr: pwd
    _gated(page, setup.base)


def test_a_director_passes_the_staff_mfa_gate_only_when_saml_asserts_mfa(
    page: Page, saml_setup: SamlSetup, settings
):
    """SimpleSAMLphp says how the person signed in (AuthnContextClassRef): the REFEDS MFA
    profile (sent to one service provider) counts as a director's second factor; a password
    alone (the other) does not."""
    from tests.sso.fixtures import saml_provider

    settings.ENFORCE_STAFF_MFA = True
    institution = saml_setup.provider.institution
    secure = saml_provider(
        saml_setup.idp,
        saml_setup.base,
        slug="northbridge-mfa",
        institution=institution,
        domain="",
        mfa=True,
        name="Northbridge Secure Login",
    )
    ada = _director_at(institution, "ada@northbridge.edu")
    SocialAccount.objects.create(user=ada, provider=secure.slug, uid="ada@northbridge.edu")
    _director_at(institution, "ben@northbridge.edu")

    saml_sign_in(page, saml_setup, "ada", button="Sign in with Northbridge Secure Login")
    _through(page, saml_setup.base)
    sign_out(page)
    page.wait_for_url(f"{saml_setup.base}/accounts/login/**")

    saml_sign_in(page, saml_setup, "ben")  # the other service provider: no MFA context
    _gated(page, saml_setup.base)


def test_an_invitation_followed_through_saml_lands_on_the_first_check_in(
    page: Page, saml_setup: SamlSetup
):
    """A resident invited at the institution's address follows the link, signs in through
    SimpleSAMLphp instead of choosing a password, and lands enrolled on a first screen that
    leads to a first check-in."""
    import re

    from programs.models import Enrollment
    from programs.services import invitation_create, invitation_token
    from programs.tests.factories import program_with_framework
    from tests import factories

    program = factories.ProgramFactory(
        institution=saml_setup.provider.institution, name="Northbridge Internal Medicine"
    )
    program_with_framework(program, domains=1, per_domain=2)
    director = factories.UserFactory(email="director@example.org")
    factories.ProgramRoleFactory(user=director, program=program, role="director")
    invitation = invitation_create(
        program=program,
        email="ben@northbridge.edu",
        role="learner",
        by=director,
        name="Ben Amari",
        training_year=1,
    )

    page.goto(f"{saml_setup.base}/programs/invitations/{invitation_token(invitation)}/")
    expect(page.get_by_role("heading", name=f"Join {program.name}")).to_be_visible()
    page.get_by_role("link", name="sign in another way").click()
    page.get_by_role("button", name="Sign in with Northbridge SSO").click()
    page.wait_for_url(f"{saml_setup.idp.base}**")
    page.locator("input[name=username]").fill("ben")
    page.locator("input[name=password]").fill(str(SAML_PEOPLE["ben"]["password"]))
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_url(f"{saml_setup.base}/**")

    page.goto(f"{saml_setup.base}/")
    start = page.get_by_role("region", name="Start here")
    expect(start).to_be_visible()
    start.get_by_role("link", name="Do your first check-in").click()
    expect(page.get_by_role("heading", name=re.compile("^Check-in"))).to_be_visible()
    enrollment = Enrollment.objects.get(learner__email="ben@northbridge.edu", program=program)
    assert enrollment.training_year == 1
    assert SocialAccount.objects.get(user=enrollment.learner).provider == "northbridge"

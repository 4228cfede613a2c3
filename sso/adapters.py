"""allauth hooks for single sign-on: the identity providers come from our `IdentityProvider`
rows, and every sign-in through one passes Continuum's checks before an account is opened."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import user_logged_in
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.contrib import messages
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.adapters import AccountAdapter as BaseAccountAdapter
from accounts.models import User
from accounts.sessions import IDP_SESSION_KEY, MERGE_PROOF_STATE, merge_proof_record
from sso import logout as sso_logout
from sso.models import IdentityProvider
from sso.selectors import email_domain, provider_by_slug, providers_enabled
from sso.services import (
    SignInRefused,
    saml_assertion_use,
    saml_session_values,
    sso_admit,
)
from sso.socialapps import social_app


def refused(
    request: HttpRequest, provider_name: str, reason: str, status: int = 403
) -> ImmediateHttpResponse:
    response = render(
        request,
        "socialaccount/authentication_error.html",
        {"sso_provider_name": provider_name, "sso_reason": reason},
        status=status,
    )
    return ImmediateHttpResponse(response)


logger = logging.getLogger(__name__)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        rows = providers_enabled()
        if provider in (IdentityProvider.Protocol.SAML, IdentityProvider.Protocol.OIDC):
            rows = rows.filter(protocol=provider)
        elif provider:
            rows = rows.filter(slug=provider)
        apps = [social_app(row) for row in rows]
        if client_id:
            apps = [app for app in apps if app.client_id == client_id]
        return apps

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        """Say why a sign-in failed, in words a person can act on, with a 4xx status."""
        extra = extra_context or {}
        if extra.get("saml_last_error_reason"):
            reason = (
                f"The identity provider's response was refused: {extra['saml_last_error_reason']}"
            )
        elif "callback_view" in extra and extra.get("state") is None:
            reason = (
                "This answer does not belong to a sign-in started in this browser (its state "
                "does not match). Start the sign-in again."
            )
        elif exception is not None and "id_token" in str(exception):
            reason = (
                "The ID token failed verification: its signature does not match a key the "
                "provider publishes, or its issuer, audience or expiry is wrong."
            )
        elif exception is not None:
            reason = f"The identity provider's answer could not be verified: {exception}"
        else:
            reason = "The identity provider's answer could not be accepted."
        logger.warning("SSO sign-in refused (%s): %s", getattr(provider, "sub_id", "?"), reason)
        raise refused(request, getattr(provider, "name", ""), reason, status=400)

    def is_email_verified(self, provider: Any, email: str) -> bool:
        domain = email_domain(email)
        return bool(
            domain is not None
            and domain.authoritative
            and domain.provider.slug == provider.app.provider_id
        )

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        slug = sociallogin.account.provider
        provider = provider_by_slug(slug)
        if provider is None:
            raise refused(request, slug, "This identity provider is not enabled.")
        extra: dict[str, Any] = sociallogin.account.extra_data or {}
        try:
            if provider.protocol == IdentityProvider.Protocol.SAML:
                saml_assertion_use(
                    provider=provider,
                    assertion_id=extra.get("assertion_id") or "",
                    not_on_or_after=extra.get("not_on_or_after"),
                )
                mfa_values = list(extra.get("authn_contexts") or [])
                logout = {"protocol": "saml", **saml_session_values(extra)}
            else:
                claims = extra.get("id_token") or {}
                expected = (sociallogin.state or {}).get("nonce")
                if not expected or claims.get("nonce") != expected:
                    raise SignInRefused(
                        "The ID token's nonce does not match this sign-in; it may have been "
                        "replayed. Start the sign-in again."
                    )
                mfa_values = [*(claims.get("amr") or []), str(claims.get("acr") or "")]
                logout = {
                    "protocol": "oidc",
                    "id_token": getattr(sociallogin, "sso_id_token", None),
                }
            connecting = (sociallogin.state or {}).get("process") == "connect"
            existing = sociallogin.user if sociallogin.is_existing else None
            if connecting:
                existing = request.user if request.user.is_authenticated else None  # type: ignore[assignment]
            admission = sso_admit(
                provider=provider,
                email=sociallogin.user.email or "",
                existing_user=existing,  # type: ignore[arg-type]
                mfa_values=mfa_values,
            )
        except SignInRefused as error:
            logger.warning("SSO sign-in refused (%s): %s", provider.slug, error)
            raise refused(request, provider.name, str(error)) from error
        data = (sociallogin.state or {}).get("data")
        if connecting and isinstance(data, dict) and MERGE_PROOF_STATE in data:
            self._merge_proof(request, sociallogin, provider, data, mfa_values)
        if not sociallogin.is_existing and not connecting and admission.user is not None:
            # The institution vouches for this address: the sign-in joins that account.
            sociallogin.connect(request, admission.user)
        sociallogin.sso_session = {  # type: ignore[attr-defined]
            "provider": provider.slug,
            "mfa": admission.mfa,
            **logout,
        }

    def _merge_proof(
        self,
        request: HttpRequest,
        sociallogin: SocialLogin,
        provider: IdentityProvider,
        data: dict[str, Any],
        mfa_values: list[str],
    ) -> None:
        """A sign-in the merge page started to prove another account (docs/sso.md, *Merging
        two accounts*): nobody is signed in or linked; the session remembers which account this
        fresh sign-in opens, and the person goes back to the merge page."""
        keep_id = data.get(MERGE_PROOF_STATE)
        back = str(data.get("back") or "/")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
            back = "/"
        if not request.user.is_authenticated or request.user.pk != keep_id:
            raise refused(
                request,
                provider.name,
                "This sign-in was started to prove an account for someone else's merge. "
                "Start the merge again from your own account.",
            )
        other: User | None = sociallogin.user if sociallogin.is_existing else None
        if other is None:
            # Not linked yet: the account this sign-in would join by its address, if any.
            try:
                other = sso_admit(
                    provider=provider,
                    email=sociallogin.user.email or "",
                    existing_user=None,
                    mfa_values=mfa_values,
                ).user
            except SignInRefused:
                other = None
        if other is None or other.pk == keep_id or not other.is_active:
            messages.error(
                request,
                f"That sign-in through {provider.name} does not open another Continuum account.",
            )
        else:
            merge_proof_record(
                request, keep_id=request.user.pk, other_id=other.pk, provider_name=provider.name
            )
            logger.info("account %s proved account %s through %s", keep_id, other.pk, provider.slug)
        raise ImmediateHttpResponse(HttpResponseRedirect(back))

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: Any) -> Any:
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        if name and not getattr(user, "display_name", ""):
            user.display_name = name[:150]
        if user.email:
            user.email = user.email.lower()
        return user


@receiver(user_logged_in, dispatch_uid="sso-session")
def remember_idp_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Keep, for this session only, which IdP signed the person in and whether it asserted MFA;
    any other sign-in clears it, so a second factor is never carried over."""
    if request is None or not hasattr(request, "session"):
        return
    entry = getattr(kwargs.get("sociallogin"), "sso_session", None)
    if entry is None:
        request.session.pop(IDP_SESSION_KEY, None)
    else:
        request.session[IDP_SESSION_KEY] = {**entry, "user": user.pk}


class AccountAdapter(BaseAccountAdapter):
    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        """After signing out here, sign out at the identity provider too, where it offers it."""
        default = super().get_logout_redirect_url(request)
        entry = request.session.get(IDP_SESSION_KEY)
        if not isinstance(entry, dict):
            return str(default)
        provider = provider_by_slug(str(entry.get("provider")))
        if provider is None:
            return str(default)
        url = sso_logout.idp_logout_url(request, provider=provider, entry=entry)
        return url or str(default)

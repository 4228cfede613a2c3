"""The erase-account page under account settings, and the page shown once it is done."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts.models import User
from accounts.sessions import MERGE_PROOF_STATE, merge_proof_forget, merge_proof_of
from privacy.forms import AccountEraseForm, AccountMergeForm
from privacy.merge import MergeRefusedError, account_merge
from privacy.selectors import erasure_preview, latest_export_of
from privacy.services import ErasureRefusedError, account_erase
from sso.models import IdentityProvider
from sso.selectors import provider_by_slug, providers_enabled


def _without_password(request: HttpRequest) -> bool:
    user = request.user
    return isinstance(user, User) and not user.has_usable_password()


@never_cache
@login_required
@reauthentication_required(allow_get=True, enabled=_without_password)
def account_erase_page(request: HttpRequest) -> HttpResponse:
    """Offer the export, show what goes and what stays, and erase on a confirmed POST."""
    user: User = request.user  # type: ignore[assignment]
    # Password attempts count against the same limit as allauth's own re-authentication.
    if not ratelimit.consume(request, action="reauthenticate", user=user):
        return ratelimit.respond_429(request)
    form = AccountEraseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            account_erase(user=user)
        except ErasureRefusedError:
            pass  # the page lists what stands in the way
        else:
            logout(request)
            return redirect("account-erased")
    context = {
        "form": form,
        "preview": erasure_preview(user=user),
        "export": latest_export_of(user=user),
    }
    return render(request, "privacy/erase.html", context)


@never_cache
@login_required
@reauthentication_required(allow_get=True, enabled=_without_password)
def account_merge_page(request: HttpRequest) -> HttpResponse:
    """Merge another account of the same person into this one: signed in here, the person
    proves the other by its password or by signing in to it through an identity provider
    (docs/sso.md, *Merging two accounts*); everything of the other moves here."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST" and request.POST.get("prove"):
        return _merge_proof_start(request, user, str(request.POST["prove"]))
    # Each attempt at the other account's password or code counts like a sign-in attempt.
    if request.method == "POST" and not ratelimit.consume(
        request, action="reauthenticate", user=user
    ):
        return ratelimit.respond_429(request)
    proof = merge_proof_of(request, keep_id=user.pk)
    proven = None
    if proof is not None:
        proven = User.objects.filter(pk=proof[0], is_active=True).first()
    if request.method == "POST" and request.POST.get("forget"):
        merge_proof_forget(request)
        return redirect("account-merge")
    form = AccountMergeForm(request.POST or None, user=user, proven=proven)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid() and form.other is not None:
        other_email = form.other.email
        try:
            account_merge(keep=user, other=form.other)
        except MergeRefusedError as error:
            refused = error.reasons
        else:
            merge_proof_forget(request)
            messages.success(request, f"{other_email} is now part of this account.")
            return redirect("account-merge")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "refused": refused,
        "proven": proven,
        "proven_through": proof[1] if proof is not None else "",
        "providers": providers_enabled(),
    }
    return render(request, "privacy/merge.html", context, status=status)


def _merge_proof_start(request: HttpRequest, user: User, slug: str) -> HttpResponse:
    """Send the person to sign in to the other account through `slug`'s identity provider,
    asking it for a fresh sign-in; the SSO adapter brings them back here with the proof."""
    from allauth.socialaccount.adapter import get_adapter
    from allauth.socialaccount.providers.base.constants import AuthProcess

    provider = provider_by_slug(slug)
    if provider is None:
        raise Http404
    back = reverse("account-merge")
    extra: dict[str, object]
    if provider.protocol == IdentityProvider.Protocol.SAML:
        extra = {"force_authn": True}
    else:
        extra = {"auth_params": {"prompt": "login", "max_age": "0"}}
    merge_proof_forget(request)
    sso_provider = get_adapter(request).get_provider(request, provider.slug)
    response: HttpResponse = sso_provider.redirect(
        request,
        AuthProcess.CONNECT,
        next_url=back,
        data={MERGE_PROOF_STATE: user.pk, "back": back},
        **extra,
    )
    return response


def account_erased(request: HttpRequest) -> HttpResponse:
    """Said once the account is gone; the same for everyone, so it tells nobody anything."""
    return render(request, "privacy/erased.html")

"""The erase-account page under account settings, and the page shown once it is done."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.models import User
from privacy.forms import AccountEraseForm
from privacy.selectors import erasure_preview, latest_export_of
from privacy.services import ErasureRefusedError, account_erase


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


def account_erased(request: HttpRequest) -> HttpResponse:
    """Said once the account is gone; the same for everyone, so it tells nobody anything."""
    return render(request, "privacy/erased.html")

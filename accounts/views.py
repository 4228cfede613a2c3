from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import ApiTokenCreateForm
from accounts.models import User
from accounts.selectors import api_tokens_of
from core.once import ONCE_URL, submit_once


@never_cache
@login_required
@submit_once(
    "API token",
    message="Already created — your new token is in the list below. Its key was shown once, "
    "when you created it.",
)
def api_token_list(request: HttpRequest) -> HttpResponse:
    """The person's API tokens; a POST creates one and shows its key this one time only."""
    user: User = request.user  # type: ignore[assignment]
    new_key = None
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_token_create(user=user, name=form.cleaned_data["name"])
        form = ApiTokenCreateForm()
    context = {"tokens": api_tokens_of(user=user), "form": form, "new_key": new_key}
    # The key is rendered straight from the POST and never stored, so it cannot be shown again.
    response = render(request, "accounts/api_tokens.html", context)
    if new_key is not None:
        setattr(response, ONCE_URL, reverse("api-token-list"))
    return response


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(api_tokens_of(user=request.user), pk=pk)  # type: ignore[arg-type]
    services.api_token_revoke(token=token, by=request.user)  # type: ignore[arg-type]
    messages.success(request, f"Token “{token.name}” revoked. It no longer works.")
    return HttpResponseRedirect(reverse("api-token-list"))

"""The inbox and notification settings pages. Every page shows the signed-in person's own."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from notifications.forms import PreferencesForm
from notifications.selectors import notifications_of, preferences_of
from notifications.services import (
    notification_mark_read,
    notification_preference_set,
    notifications_mark_all_read,
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, 30 a page."""
    page = Paginator(notifications_of(user=_user(request)), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
@login_required
def notification_open(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Mark one notification read and go where it points."""
    notification = get_object_or_404(notifications_of(user=_user(request)), public_id=public_id)
    notification_mark_read(notification=notification)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = reverse("coaching-inbox")
    return HttpResponseRedirect(target)


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=_user(request))
    return HttpResponseRedirect(reverse("coaching-inbox"))


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """How the person hears about each kind: at once, daily, or inbox only."""
    user = _user(request)
    form = PreferencesForm(request.POST or None, current=preferences_of(user=user))
    if request.method == "POST" and form.is_valid():
        for kind, frequency in form.cleaned_data.items():
            notification_preference_set(user=user, kind=kind, frequency=frequency)
        messages.success(request, "Notification settings saved.")
        return HttpResponseRedirect(reverse("coaching-preferences"))
    return render(request, "notifications/preferences.html", {"form": form})

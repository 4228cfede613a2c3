"""Small site-wide views that belong to no app."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Pages without our <link rel="icon"> (the Django admin) still find the icon.

    Resolved per request: with hashed static files the name is known only after collectstatic.
    """
    return HttpResponseRedirect(static("img/favicon.svg"))

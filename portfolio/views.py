from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from programs.selectors import current_enrollment


def home(request: HttpRequest) -> HttpResponse:
    """The learner's portfolio home; a short welcome for visitors who are not signed in."""
    if not request.user.is_authenticated:
        return render(request, "portfolio/welcome.html")
    enrollment = current_enrollment(learner=request.user)  # type: ignore[arg-type]
    return render(request, "portfolio/home.html", {"enrollment": enrollment})

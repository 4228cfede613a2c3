"""The start page. It gathers what waits for a person from every app (their dashboard, their
to-do list, the refreshers before their next clinic), so it lives above them all."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from home.shared import shared_with
from home.start import faculty_requests, first_steps, outside_stage
from home.worklist import worklist_for
from learning.selectors import next_clinic_refreshers
from notifications.context_processors import unread_of
from portfolio.dashboard import page_dashboard
from portfolio.selectors import count_learners_sharing_with
from programs.middleware import program_roles


def home(request: HttpRequest) -> HttpResponse:
    """The learner's portfolio home: what waits for them, where to focus, and a summary of
    where they stand (the charts and history are on the progress page)."""
    if not request.user.is_authenticated:
        return render(request, "home/welcome.html")
    learner = cast(User, request.user)
    dashboard = page_dashboard(request, learner=learner, stages=False)
    enrollment = dashboard.enrollments[0] if dashboard.enrollments else None
    roles = program_roles(request).get()
    frameworks = [section.framework.name for section in dashboard.sections]
    return render(
        request,
        "home/home.html",
        {
            "dashboard": dashboard,
            "enrollment": enrollment,
            "first_steps": first_steps(
                learner=learner, enrollment=enrollment, frameworks=frameworks
            ),
            "faculty_requests": faculty_requests(user=learner, roles=roles),
            "outside_stage": outside_stage(learner=learner, enrollment=enrollment),
            "shared_with_me": count_learners_sharing_with(viewer=learner),
            "next_clinic": next_clinic_refreshers(learner=learner),
            # The header's unread count, read in the dashboard's round trip.
            "worklist": worklist_for(user=learner, roles=roles, unread=unread_of(request).count),
        },
    )


@login_required
def shared_with_me(request: HttpRequest) -> HttpResponse:
    """Everything others share with the person, from every app that shares."""
    shared = shared_with(viewer=cast(User, request.user))
    return render(request, "home/shared_with_me.html", {"shared": shared})

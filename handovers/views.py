"""Handover pages: the learner builds, previews, sends and withdraws; the receiving program's
reviewers read what was sent, each read logged for the learner."""

from __future__ import annotations

import uuid
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from core.forms import apply_errors
from core.once import submit_once
from handovers import services
from handovers.forms import HandoverForm
from handovers.models import Handover
from handovers.selectors import handovers_of, handovers_received_by
from portfolio.models import AccessLog
from portfolio.selectors import own_evidence_choices
from portfolio.services import access_log_record_official
from programs.models import Program

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _own(request: HttpRequest, public_id: uuid.UUID) -> Handover:
    learner = _user(request)
    return get_object_or_404(handovers_of(viewer=learner, learner=learner), public_id=public_id)


def log_reads(viewer: User, handovers: list[Handover], action: str) -> None:
    """Every read by the program lands in the learner's access log."""
    access_log_record_official(
        viewer=viewer,
        reads=[(h.learner_id, "handover", h.pk, h.label) for h in handovers],
        action=action,
    )


@login_required
def handover_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    page = Paginator(handovers_of(viewer=learner, learner=learner), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "handovers/list.html", {"page": page})


@login_required
@submit_once("handover")
def handover_create(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = HandoverForm(
        request.POST or None,
        programs=Program.objects.select_related("institution").order_by(
            "institution__name", "name"
        ),
        evidence=own_evidence_choices(learner=learner),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handover = services.handover_create(
                learner=learner,
                program_id=data["program"].pk,
                note=data["note"],
                include_levels=data["include_levels"],
                include_goals=data["include_goals"],
                evidence_ids=[e.pk for e in data["evidence"]],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Draft saved. Below is exactly what the program will see.")
            return redirect("handover-detail", public_id=handover.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "handovers/form.html", {"form": form}, status=status)


@login_required
def handover_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The learner's preview: exactly what the program reads."""
    return render(request, "handovers/detail.html", {"handover": _own(request, public_id)})


def _act(request: HttpRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    handover = _own(request, public_id)
    try:
        if action == "send":
            services.handover_send(handover=handover)
            messages.success(request, f"Sent to {handover.program.name}.")
        elif action == "withdraw":
            services.handover_withdraw(handover=handover)
            messages.success(request, "Withdrawn: the program no longer sees it.")
        elif action == "refresh":
            services.handover_refresh(handover=handover)
            messages.success(request, "Rebuilt from your record as it is now.")
        else:
            services.handover_delete(handover=handover)
            messages.success(request, "Draft deleted.")
            return redirect("handover-list")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("handover-detail", public_id=handover.public_id)


@login_required
@require_POST
def handover_send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "send")


@login_required
@require_POST
def handover_withdraw(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "withdraw")


@login_required
@require_POST
def handover_refresh(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "refresh")


@login_required
@require_POST
def handover_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _act(request, public_id, "delete")


@login_required
def received_list(request: HttpRequest) -> HttpResponse:
    """Handovers sent to programs the viewer reviews; each one listed is logged."""
    viewer = _user(request)
    page = Paginator(handovers_received_by(viewer=viewer), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    log_reads(viewer, list(page.object_list), AccessLog.Action.LIST)
    return render(request, "handovers/received_list.html", {"page": page})


@login_required
def received_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    viewer = _user(request)
    handover = get_object_or_404(handovers_received_by(viewer=viewer), public_id=public_id)
    log_reads(viewer, [handover], AccessLog.Action.VIEW)
    return render(request, "handovers/received_detail.html", {"handover": handover})

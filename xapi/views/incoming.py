"""The learner's incoming learning: statements about them, to accept as evidence or dismiss."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from xapi.models import Statement
from xapi.selectors.incoming import (
    clients_reading_about,
    incoming_for,
    incoming_statement,
    learner_keys,
    suggestions_for,
)
from xapi.services.incoming import incoming_accept, incoming_dismiss
from xapi.summary import summarise

PAGE_SIZE = 20


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def incoming_list(request: HttpRequest) -> HttpResponse:
    learner = _me(request)
    keys = learner_keys(learner=learner)
    page = Paginator(incoming_for(learner=learner, keys=keys), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    suggestions = suggestions_for(learner=learner, statements=rows)
    items = [
        {
            "statement": row,
            "summary": summarise(row.data),
            "suggestions": suggestions.get(row.seq, []),
        }
        for row in rows
    ]
    return render(
        request,
        "xapi/incoming.html",
        {
            "page": page,
            "items": items,
            "clients": list(clients_reading_about(learner=learner, keys=keys)),
        },
    )


def _statement_or_404(request: HttpRequest, statement_id: UUID) -> Statement:
    statement = incoming_statement(learner=_me(request), statement_id=str(statement_id))
    if statement is None:
        raise Http404("No such incoming statement.")
    return statement


@login_required
@require_POST
def incoming_accept_view(request: HttpRequest, statement_id: UUID) -> HttpResponse:
    statement = _statement_or_404(request, statement_id)
    try:
        competency_ids = [int(pk) for pk in request.POST.getlist("competencies")]
        evidence = incoming_accept(
            learner=_me(request), statement=statement, competency_ids=competency_ids
        )
    except (ValueError, ValidationError):
        messages.error(request, "Choose competencies from the frameworks of your program.")
        return redirect("xapi-incoming")
    messages.success(request, f"Added “{evidence.title}” to your evidence.")
    return redirect(reverse("evidence-detail", args=[evidence.pk]))


@login_required
@require_POST
def incoming_dismiss_view(request: HttpRequest, statement_id: UUID) -> HttpResponse:
    statement = _statement_or_404(request, statement_id)
    incoming_dismiss(learner=_me(request), statement=statement)
    messages.success(request, "Dismissed.")
    return redirect("xapi-incoming")

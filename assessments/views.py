"""Assessment pages.

Self-assessment check-ins (the learner's own, phone-first) come first; pages for assessments
by others and observation requests belong in their own section below.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.models import User
from assessments.selectors import CheckInPage, checkin_frameworks, checkin_page, level_text
from assessments.services import (
    CheckInInvalidError,
    CheckInTokenConflictError,
    SelfAssessmentInput,
    checkin_record,
)
from portfolio.models import Scope
from portfolio.selectors import (
    active_grants,
    checkins_visible_to,
    own_evidence_choices,
)

# --- Self-assessments and check-ins --------------------------------------------------------


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _rows(
    page: CheckInPage, posted: dict[str, Any], item_errors: dict[int, list[str]]
) -> list[dict[str, Any]]:
    """Per item: the competency, its level choices with descriptors, and what was posted."""
    rows = []
    for competency in page.items:
        descriptors = {d.level: d.text for d in competency.descriptors.all()}
        rows.append(
            {
                "competency": competency,
                "levels": [
                    {
                        "value": level.value,
                        "display": f"{level.value.normalize():f}",
                        "label": level.label,
                        "text": level_text(descriptors, level.value) or level.anchor,
                    }
                    for level in page.levels
                ],
                "descriptors": sorted(descriptors.items()),
                "level": posted.get(f"level-{competency.pk}", ""),
                "note": posted.get(f"note-{competency.pk}", ""),
                "errors": item_errors.get(competency.pk, []),
            }
        )
    return rows


@login_required
def checkin_start(request: HttpRequest) -> HttpResponse:
    """Pick a framework to check in against; with one framework, go straight to it."""
    frameworks = list(checkin_frameworks(learner=_user(request)))
    if len(frameworks) == 1:
        return redirect("checkin-form", framework_id=frameworks[0].pk)
    return render(request, "assessments/checkin_start.html", {"frameworks": frameworks})


@login_required
def checkin_form(request: HttpRequest, framework_id: int) -> HttpResponse:
    """Self-assess a whole framework, or one sub-competency (`?competency=<id>`), on one page."""
    learner = _user(request)
    raw_competency = request.GET.get("competency", "")
    competency_id = int(raw_competency) if raw_competency.isdigit() else None
    page = checkin_page(learner=learner, framework_id=framework_id, competency_id=competency_id)
    if page is None:
        raise Http404
    posted: dict[str, Any] = {}
    item_errors: dict[int, list[str]] = {}
    form_errors: list[str] = []
    token = str(uuid.uuid4())
    status = 200
    if request.method == "POST":
        posted = request.POST.dict()
        token = request.POST.get("client_token", "")
        items = []
        for competency in page.items:
            level = request.POST.get(f"level-{competency.pk}", "").strip()
            note = request.POST.get(f"note-{competency.pk}", "")
            linked = [
                int(v) for v in request.POST.getlist(f"evidence-{competency.pk}") if v.isdigit()
            ]
            if level:
                items.append(SelfAssessmentInput(competency.pk, level, note, linked))
            elif note.strip():
                item_errors[competency.pk] = ["Pick a level to save this note."]
        try:
            if item_errors:
                raise CheckInInvalidError({"items": ["Some items need a level."]}, item_errors)
            checkin, created = checkin_record(
                learner=learner, client_token=token, items=items, framework=page.framework
            )
        except CheckInInvalidError as error:
            item_errors = error.item_errors
            form_errors = [m for m in error.message_dict.get("items", []) if not item_errors] or (
                ["Some items need attention: see the messages next to them."] if item_errors else []
            )
            status = 400
        except CheckInTokenConflictError:
            form_errors = ["This form was already used. Reload the page and try again."]
            token = str(uuid.uuid4())
            status = 409
        except ValidationError as error:
            form_errors = error.messages
            status = 400
        else:
            if created:
                messages.success(request, f"Check-in saved: {checkin.items.count()} items.")
            else:
                messages.info(request, "This check-in was already saved.")
            return redirect(
                f"{reverse('checkin-detail', args=[checkin.pk])}?saved={checkin.client_token}"
            )
    single = competency_id is not None
    evidence = list(own_evidence_choices(learner=learner)[:50]) if single else []
    return render(
        request,
        "assessments/checkin_form.html",
        {
            "page": page,
            "rows": _rows(page, posted, item_errors),
            "token": token,
            "single": single,
            "evidence": evidence,
            "form_errors": form_errors,
            "audience": [g for g in active_grants(learner=learner) if g.covers(Scope.CHECKINS)],
            "draft_key": (
                f"continuum:checkin:{learner.pk}:{page.framework.pk}:{competency_id or 'all'}"
            ),
        },
        status=status,
    )


@login_required
def checkin_list(request: HttpRequest) -> HttpResponse:
    """The learner's check-ins, newest first. History is kept; nothing is overwritten."""
    learner = _user(request)
    checkins = checkins_visible_to(viewer=learner, learner=learner)
    page = Paginator(checkins, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/checkin_list.html",
        {
            "page": page,
            "frameworks": checkin_frameworks(learner=learner),
            "audience": [g for g in active_grants(learner=learner) if g.covers(Scope.CHECKINS)],
        },
    )


@login_required
def checkin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    checkin = get_object_or_404(checkins_visible_to(viewer=learner, learner=learner), pk=pk)
    return render(
        request,
        "assessments/checkin_detail.html",
        {"checkin": checkin, "saved_token": request.GET.get("saved", "")},
    )

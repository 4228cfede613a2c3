"""Pages of practice and CPD: continuing into practice on one's own, personal targets, the
CPD diary, licensing cycles and the transcript. Every page is the signed-in learner's own."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from core.forms import apply_errors
from core.once import submit_once
from cpd import services
from cpd.forms import ActivityForm, CycleForm, PracticeForm
from cpd.models import CpdActivity, LicensingCycle
from cpd.selectors import (
    activities_of,
    credit_types,
    current_cycle,
    cycle_totals,
    cycles_of,
    cycles_totals,
)
from cpd.transcript import transcript_csv, transcript_rows
from frameworks.models import Competency, Framework, ScaleLevel
from portfolio.selectors import own_evidence_choices
from programs.models import Enrollment
from programs.selectors import frameworks_in_use, practice_stage_of, practice_targets_of
from programs.services import (
    PracticeTargetsInvalidError,
    practice_start,
    practice_targets_set,
    practice_update,
)

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- Practice -----------------------------------------------------------------------------


@login_required
def practice(request: HttpRequest) -> HttpResponse:
    """Continue into practice (or, once there, change specialty and frameworks), and the
    personal targets."""
    learner = _user(request)
    stage = practice_stage_of(learner=learner)
    frameworks = Framework.objects.select_related("scale").order_by("code", "-version")
    initial: dict[str, Any] = {}
    if stage is not None:
        initial = {"specialty": stage.specialty, "frameworks": list(stage.frameworks.all())}
    form = PracticeForm(request.POST or None, frameworks=frameworks, initial=initial)
    if stage is not None:
        form.fields.pop("start_date")
    training_open = stage is None and Enrollment.objects.current().filter(learner=learner).exists()
    if request.method == "POST" and form.is_valid():
        ids = [f.pk for f in form.cleaned_data["frameworks"]]
        try:
            if stage is None:
                stage, created = practice_start(
                    learner=learner,
                    specialty=form.cleaned_data["specialty"],
                    framework_ids=ids,
                    start_date=form.cleaned_data.get("start_date"),
                )
                messages.success(
                    request,
                    "Welcome to practice: set your targets below."
                    if created
                    else "You are already in practice.",
                )
            else:
                practice_update(
                    stage=stage, specialty=form.cleaned_data["specialty"], framework_ids=ids
                )
                messages.success(request, "Saved.")
            return redirect("practice")
        except ValidationError as error:
            apply_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cpd/practice.html",
        {
            "stage": stage,
            "form": form,
            "training_open": training_open,
            "targets": _target_rows(stage) if stage is not None else [],
        },
        status=status,
    )


def _target_rows(stage: Any, errors: dict[int, list[str]] | None = None) -> list[dict[str, Any]]:
    """Each target with the levels its scale offers from its floor up (three queries)."""
    targets = list(practice_targets_of(stage=stage))
    levels: dict[int, list[Decimal]] = {}
    for scale_id, value in ScaleLevel.objects.filter(
        scale_id__in={t.competency.framework.scale_id for t in targets}
    ).values_list("scale_id", "value"):
        levels.setdefault(scale_id, []).append(value)
    return [
        {
            "target": t,
            "choices": sorted(
                v for v in levels.get(t.competency.framework.scale_id, []) if v >= t.floor
            ),
            "errors": (errors or {}).get(t.competency_id, []),
        }
        for t in targets
    ]


@login_required
@require_POST
def practice_targets(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    stage = practice_stage_of(learner=learner)
    if stage is None:
        messages.error(request, "Continue into practice first.")
        return redirect("practice")
    levels: dict[int, str] = {}
    for key in request.POST:
        if key.startswith("target-") and key[7:].isdigit():
            levels[int(key[7:])] = request.POST.get(key, "")
    try:
        practice_targets_set(stage=stage, levels=levels)
    except PracticeTargetsInvalidError as error:
        form = PracticeForm(
            frameworks=Framework.objects.order_by("code", "-version"),
            initial={"specialty": stage.specialty, "frameworks": list(stage.frameworks.all())},
        )
        form.fields.pop("start_date")
        return render(
            request,
            "cpd/practice.html",
            {
                "stage": stage,
                "form": form,
                "training_open": False,
                "targets": _target_rows(stage, error.item_errors),
                "target_errors": error.messages,
            },
            status=400,
        )
    messages.success(request, "Targets saved.")
    return redirect("practice")


# --- The CPD diary ---------------------------------------------------------------------------


@login_required
def diary(request: HttpRequest) -> HttpResponse:
    """The current cycle's totals and what is still needed, and the activities, newest first."""
    learner = _user(request)
    cycle = current_cycle(viewer=learner, learner=learner)
    activities = activities_of(viewer=learner, learner=learner)
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cpd/diary.html",
        {
            "page": page,
            "totals": cycle_totals(cycle=cycle) if cycle is not None else None,
            "today": timezone.localdate(),
        },
    )


def _activity_form(request: HttpRequest, learner: User, **kwargs: Any) -> ActivityForm:
    return ActivityForm(
        request.POST or None,
        credit_types=list(credit_types().values_list("code", "name")),
        competencies=Competency.objects.filter(framework__in=frameworks_in_use(learner=learner))
        .select_related("framework")
        .order_by("framework__code", "order", "id"),
        evidence=own_evidence_choices(learner=learner),
        **kwargs,
    )


def _activity_values(form: ActivityForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "occurred_on": data["occurred_on"],
        "title": data["title"],
        "provider": data["provider"],
        "credit_type": data["credit_type"],
        "hours": data["hours"],
        "notes": data["notes"],
        "competency_ids": [c.pk for c in data["competencies"]],
        "evidence_ids": [e.pk for e in data["evidence"]],
    }


@login_required
@submit_once("CPD activity")
def activity_create(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = _activity_form(
        request,
        learner,
        initial={"client_token": uuid.uuid4(), "occurred_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cpd_activity_record(
                learner=learner,
                client_token=form.cleaned_data["client_token"],
                **_activity_values(form),
            )
            messages.success(request, "Activity logged.")
            return redirect("cpd-diary")
        except ValidationError as error:
            apply_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(request, "cpd/activity_form.html", {"form": form}, status=status)


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    activity = get_object_or_404(activities_of(viewer=learner, learner=learner), pk=pk)
    form = _activity_form(
        request,
        learner,
        initial={
            "occurred_on": activity.occurred_on,
            "title": activity.title,
            "provider": activity.provider,
            "credit_type": activity.credit_type.code,
            "hours": activity.hours,
            "notes": activity.notes,
            "competencies": list(activity.competencies.all()),
            "evidence": list(activity.evidence.all()),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cpd_activity_update(activity=activity, **_activity_values(form))
            messages.success(request, "Saved.")
            return redirect("cpd-diary")
        except ValidationError as error:
            apply_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "cpd/activity_form.html", {"form": form, "activity": activity}, status=status
    )


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    activity = get_object_or_404(activities_of(viewer=learner, learner=learner), pk=pk)
    services.cpd_activity_delete(activity=activity)
    messages.success(request, "Deleted.")
    return redirect("cpd-diary")


# --- Licensing cycles ---------------------------------------------------------------------


@login_required
@submit_once("licensing cycle")
def cycles(request: HttpRequest) -> HttpResponse:
    """The learner's licensing cycles, each with its totals; add one."""
    learner = _user(request)
    form = CycleForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.licensing_cycle_save(learner=learner, **form.cleaned_data)
            messages.success(request, "Cycle saved.")
            return redirect("cpd-diary")
        except ValidationError as error:
            apply_errors(form, error)
    status = 400 if request.method == "POST" else 200
    listed = list(cycles_of(viewer=learner, learner=learner)[:PAGE_SIZE])
    return render(
        request,
        "cpd/cycles.html",
        {"form": form, "cycles": cycles_totals(cycles=listed)},
        status=status,
    )


@login_required
def cycle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    cycle = get_object_or_404(cycles_of(viewer=learner, learner=learner), pk=pk)
    form = CycleForm(
        request.POST or None,
        initial={
            "name": cycle.name,
            "start_date": cycle.start_date,
            "length_months": cycle.length_months,
            "credits_required": cycle.credits_required,
            "category_1_required": cycle.category_1_required,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.licensing_cycle_save(learner=learner, cycle=cycle, **form.cleaned_data)
            messages.success(request, "Cycle saved.")
            return redirect("cpd-cycles")
        except ValidationError as error:
            apply_errors(form, error)
    status = 400 if request.method == "POST" else 200
    return render(request, "cpd/cycle_form.html", {"form": form, "cycle": cycle}, status=status)


@login_required
@require_POST
def cycle_delete(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    cycle = get_object_or_404(cycles_of(viewer=learner, learner=learner), pk=pk)
    services.licensing_cycle_delete(cycle=cycle)
    messages.success(request, "Cycle deleted; its activities stay in the diary.")
    return redirect("cpd-cycles")


# --- Transcript -------------------------------------------------------------------------------


def _transcript_scope(
    request: HttpRequest, learner: User
) -> tuple[LicensingCycle | None, list[CpdActivity]]:
    """The activities of `?cycle=` (one of the learner's; 404 for any other), else all."""
    activities = activities_of(viewer=learner, learner=learner)
    wanted = request.GET.get("cycle", "")
    if not wanted:
        return None, list(activities)
    if not wanted.isdigit():
        raise Http404("No such cycle.")
    cycle = get_object_or_404(cycles_of(viewer=learner, learner=learner), pk=int(wanted))
    return cycle, list(activities.between(cycle.start_date, cycle.end_date))


@login_required
def transcript(request: HttpRequest) -> HttpResponse:
    """The transcript as a printable page."""
    learner = _user(request)
    cycle, activities = _transcript_scope(request, learner)
    return render(
        request,
        "cpd/transcript.html",
        {
            "cycle": cycle,
            "totals": cycle_totals(cycle=cycle) if cycle is not None else None,
            "header": ["Date", "Title", "Provider", "Credit type", "Credits", "Competencies"],
            "rows": transcript_rows(activities),
            "learner": learner,
            "today": timezone.localdate(),
        },
    )


@login_required
def transcript_download(request: HttpRequest) -> HttpResponse:
    """The transcript as CSV."""
    learner = _user(request)
    cycle, activities = _transcript_scope(request, learner)
    response = HttpResponse(transcript_csv(activities), content_type="text/csv; charset=utf-8")
    name = f"cpd-transcript-{cycle.start_date}" if cycle else "cpd-transcript"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response

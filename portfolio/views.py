"""The learner's portfolio pages, and the read-only pages of people they share with."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from assessments import calibration as calibration_module
from assessments.selectors.checkins import (
    CheckInPage,
    checkin_frameworks,
    checkin_page,
    level_text,
)
from assessments.services.checkins import CheckInInvalidError, CheckInTokenConflictError
from core.csp import draws_charts
from core.db import Read, read_together
from core.forms import apply_errors
from core.once import submit_once
from core.pagination import page_number, page_of, requested_page
from frameworks.models import Competency, ScaleLevel
from portfolio import services, transfer
from portfolio.archive import kept_record
from portfolio.calibration import calibration_for
from portfolio.carried import carried_evidence_of
from portfolio.dashboard import (
    Dashboard,
    learner_dashboard,
    page_dashboard,
    timeline_of,
)
from portfolio.evidence_html import evidence_items_html
from portfolio.figures import standing_figure, trajectory_series
from portfolio.forms import (
    CheckInForm,
    EvidenceForm,
    GoalForm,
    ImportForm,
    ProfileForm,
    ProgressNoteForm,
    ShareGrantForm,
)
from portfolio.models import AccessLog, Evidence, Goal, PortfolioTransfer, Scope, ShareGrant
from portfolio.selectors import (
    Access,
    CompetencyTag,
    access_for,
    access_log_of,
    active_grants,
    active_grants_read,
    checkins_visible_to,
    evidence_visible_to,
    goals_visible_to,
    kept_records_of,
    learners_sharing_with,
    own_evidence_choices,
    own_evidence_count_read,
    own_evidence_page_read,
    own_evidence_page_tags_read,
    profile_of,
    self_assessments_visible_to,
    share_grants_of,
    transfers_of,
)
from portfolio.uploads import INLINE_TYPES
from programs.middleware import program_roles
from programs.models import Program
from programs.selectors import frameworks_in_use

PAGE_SIZE = 25
# How many items of each kind a shared-portfolio page shows (and logs) at once.
SHARED_PAGE_SIZE = 20


# Records kept from imported archives, per page.
KEPT_PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(request: HttpRequest, items: QuerySet[Any], size: int = PAGE_SIZE) -> Page[Any]:
    return Paginator(items, size).get_page(request.GET.get("page"))


def _competency_choices(learner: User) -> QuerySet[Competency]:
    return (
        Competency.objects.filter(framework__in=frameworks_in_use(learner=learner))
        .select_related("framework")
        .order_by("framework__code", "order", "id")
    )


def _audience(grants: list[ShareGrant], scope: Scope) -> list[ShareGrant]:
    return [grant for grant in grants if grant.covers(scope)]


# --- Progress: the learner's dashboard ------------------------------------------------------------


@login_required
@draws_charts
def progress(request: HttpRequest) -> HttpResponse:
    """The learner's gap dashboard: latest levels against expectation per framework (chart and
    table), focus next, and monthly levels over time across stages of training."""
    learner = _user(request)
    dashboard = page_dashboard(request, learner=learner, stages=True)
    charts = [
        {
            "section": section,
            "figure": standing_figure(section),
            "id": f"standing-{section.framework.pk}",
            "data_id": f"standing-{section.framework.pk}-data",
        }
        for section in dashboard.sections
    ]
    return render(
        request,
        "portfolio/progress.html",
        {
            "dashboard": dashboard,
            "enrollment": dashboard.enrollments[0] if dashboard.enrollments else None,
            "charts": charts,
            "trajectory": trajectory_series(dashboard) if dashboard.has_history else None,
        },
    )


@login_required
def progress_monthly(request: HttpRequest) -> HttpResponse:
    """The trajectory chart's numbers as a table, on a page of its own linked beside the chart
    (its long description): every visit to the progress page would otherwise carry hundreds of
    rows few readers open. `?competency=` narrows it to one competency, as the chart's menu
    does."""
    learner = _user(request)
    dashboard = page_dashboard(request, learner=learner, stages=True)
    chosen = _chosen_competency(request, dashboard)
    return render(
        request,
        "portfolio/progress_monthly.html",
        {
            "dashboard": dashboard,
            "chosen": chosen,
            "monthly_rows": dashboard.monthly_rows(chosen),
            # The chart's other lines: a competency's expected trajectory, or, for all of
            # them, each framework's mean.
            "expected": dashboard.expected_trajectory(chosen) if chosen else [],
            "framework_rows": [] if chosen else dashboard.framework_monthly_rows(),
        },
    )


def _chosen_competency(request: HttpRequest, dashboard: Dashboard) -> Competency | None:
    """The competency `?competency=` names, among those the history charts; 404 for any
    other value."""
    wanted = request.GET.get("competency", "")
    if not wanted:
        return None
    for competency in dashboard.charted:
        if str(competency.pk) == wanted:
            return competency
    raise Http404("No such competency on your dashboard.")


# --- Profile and timeline ----------------------------------------------------------------------


@login_required
def timeline(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    profile = profile_of(learner=learner)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            services.learner_profile_update(
                learner=learner,
                headline=form.cleaned_data["headline"],
                about=form.cleaned_data["about"],
            )
            messages.success(request, "Profile saved.")
            return redirect("portfolio-timeline")
        return render(
            request, "portfolio/timeline.html", _timeline_context(learner, form), status=400
        )
    return render(request, "portfolio/timeline.html", _timeline_context(learner, form))


def _timeline_context(learner: User, form: ProfileForm) -> dict[str, Any]:
    return {
        "form": form,
        "stages": timeline_of(learner=learner),
        "carried": carried_evidence_of(learner=learner),
    }


# --- Evidence and reflections ------------------------------------------------------------------


# What the evidence list shows of each item.
EVIDENCE_LIST_FIELDS = ("id", "kind", "title", "occurred_on", "file", "file_name")


@login_required
def evidence_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    kind = request.GET.get("kind", "")
    if kind not in Evidence.Kind.values:
        kind = ""
    asked = request.GET.get("page")
    number = requested_page(asked)
    grants, total, rows, tags = program_roles(request).read_with(
        active_grants_read(learner=learner),
        own_evidence_count_read(learner=learner, kind=kind),
        *_evidence_page_reads(learner, kind, number),
    )
    shown = page_number(asked, total, PAGE_SIZE)
    if shown != number:
        # Past the last page (or `?page=0`): the last one, as other lists answer.
        number = shown
        rows, tags = read_together(*_evidence_page_reads(learner, kind, number))
    labels = dict(Evidence.Kind.choices)
    # Plain rows, as the API lists them: 25 instances with their prefetched competencies
    # cost more than the page's queries.
    items = [
        {
            **row,
            "kind_label": labels[row["kind"]],
            "codes": [tag.code for tag in tags.get(row["id"], ())],
        }
        for row in rows
    ]
    evidence_audience = _audience(grants, Scope.EVIDENCE)
    reflection_audience = _audience(grants, Scope.REFLECTIONS)
    return render(
        request,
        "portfolio/evidence_list.html",
        {
            "page": page_of(items, number, total, PAGE_SIZE),
            "items_html": evidence_items_html(
                items,
                evidence_shared=bool(evidence_audience),
                reflections_shared=bool(reflection_audience),
            )
            if items
            else "",
            "kind": kind,
            "kinds": Evidence.Kind.choices,
            "evidence_audience": evidence_audience,
            "reflection_audience": reflection_audience,
        },
    )


def _evidence_page_reads(
    learner: User, kind: str, number: int
) -> tuple[Read[list[dict[str, Any]]], Read[dict[int, list[CompetencyTag]]]]:
    """Page `number` of the learner's list: its rows and their competencies."""
    offset = (number - 1) * PAGE_SIZE
    return (
        own_evidence_page_read(
            learner=learner, fields=EVIDENCE_LIST_FIELDS, offset=offset, limit=PAGE_SIZE, kind=kind
        ),
        own_evidence_page_tags_read(learner=learner, offset=offset, limit=PAGE_SIZE, kind=kind),
    )


def _evidence_form_page(
    request: HttpRequest, form: EvidenceForm, evidence: Evidence | None, status: int = 200
) -> HttpResponse:
    learner = _user(request)
    kind = form["kind"].value() or (evidence.kind if evidence else "")
    scope = Scope.REFLECTIONS if kind == Evidence.Kind.REFLECTION else Scope.EVIDENCE
    return render(
        request,
        "portfolio/evidence_form.html",
        {
            "form": form,
            "evidence": evidence,
            "is_reflection": kind == Evidence.Kind.REFLECTION,
            "audience": _audience(active_grants(learner=learner), scope),
        },
        status=status,
    )


def _evidence_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What the service needs from a valid EvidenceForm (reflections lack some fields)."""
    return {
        "title": data["title"],
        "body": data["body"],
        "occurred_on": data["occurred_on"],
        "competency_ids": [c.pk for c in data["competencies"]],
        "upload": data.get("file"),
        "credit_hours": data.get("credit_hours"),
        "external_source": data.get("external_source", ""),
        "external_id": data.get("external_id", ""),
    }


def _evidence_noun(request: HttpRequest) -> str:
    return "reflection" if request.POST.get("kind") == Evidence.Kind.REFLECTION else "evidence"


@login_required
@submit_once(_evidence_noun)
def evidence_create(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    competencies = _competency_choices(learner)
    if request.method != "POST":
        kind = request.GET.get("kind", Evidence.Kind.CASE_LOG)
        initial = {"kind": kind, "occurred_on": timezone.localdate()}
        form = EvidenceForm(
            initial=initial,
            competencies=competencies,
            reflection=kind == Evidence.Kind.REFLECTION,
        )
        return _evidence_form_page(request, form, None)
    form = EvidenceForm(
        request.POST,
        request.FILES,
        competencies=competencies,
        reflection=request.POST.get("kind") == Evidence.Kind.REFLECTION,
    )
    if form.is_valid():
        try:
            evidence = services.evidence_create(
                learner=learner,
                kind=form.cleaned_data["kind"],
                **_evidence_fields(form.cleaned_data),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved “{evidence.title}”. Only you can see it.")
            return redirect("evidence-detail", pk=evidence.pk)
    return _evidence_form_page(request, form, None, status=400)


@login_required
def evidence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    evidence = get_object_or_404(evidence_visible_to(viewer=learner, learner=learner), pk=pk)
    return render(
        request,
        "portfolio/evidence_detail.html",
        {
            "evidence": evidence,
            "audience": _audience(active_grants(learner=learner), evidence.scope),
            "owner": True,
            "file_url": reverse("evidence-file", args=[evidence.pk]),
        },
    )


@login_required
def evidence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    evidence = get_object_or_404(evidence_visible_to(viewer=learner, learner=learner), pk=pk)
    competencies = _competency_choices(learner)
    reflection = evidence.kind == Evidence.Kind.REFLECTION
    if request.method != "POST":
        initial = {
            "kind": evidence.kind,
            "title": evidence.title,
            "body": evidence.body,
            "occurred_on": evidence.occurred_on,
            "competencies": list(evidence.competencies.all()),
            "credit_hours": evidence.credit_hours,
            "external_source": evidence.external_source,
            "external_id": evidence.external_id,
        }
        form = EvidenceForm(initial=initial, competencies=competencies, reflection=reflection)
        form.fields["kind"].disabled = True
        return _evidence_form_page(request, form, evidence)
    form = EvidenceForm(
        request.POST,
        request.FILES,
        competencies=competencies,
        reflection=reflection,
        initial={"kind": evidence.kind},
    )
    form.fields["kind"].disabled = True
    if form.is_valid():
        fields = _evidence_fields(form.cleaned_data)
        if reflection:  # the fields a reflection's form does not show keep their values
            fields.update(
                credit_hours=evidence.credit_hours,
                external_source=evidence.external_source,
                external_id=evidence.external_id,
            )
        try:
            services.evidence_update(evidence=evidence, **fields)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("evidence-detail", pk=evidence.pk)
    return _evidence_form_page(request, form, evidence, status=400)


@login_required
@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    evidence = get_object_or_404(evidence_visible_to(viewer=learner, learner=learner), pk=pk)
    services.evidence_delete(evidence=evidence)
    messages.success(request, "Deleted.")
    return redirect("evidence-list")


def file_response(evidence: Evidence) -> FileResponse:
    """Stream an evidence file to someone already allowed to read it."""
    if not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        content_type=evidence.file_type or "application/octet-stream",
        as_attachment=evidence.file_type not in INLINE_TYPES,
        filename=evidence.file_name or (evidence.file.name or "file").rsplit("/", 1)[-1],
    )
    # A learner's file must never run script in our origin, nor sit in a shared cache.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    learner = _user(request)
    evidence = get_object_or_404(evidence_visible_to(viewer=learner, learner=learner), pk=pk)
    return file_response(evidence)


# --- Goals -------------------------------------------------------------------------------------


def _goal_form(request: HttpRequest, learner: User, **kwargs: Any) -> GoalForm:
    return GoalForm(
        request.POST or None,
        competencies=_competency_choices(learner),
        evidence=own_evidence_choices(learner=learner)[:100],
        **kwargs,
    )


def _goal_data(form: GoalForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "measure": data["measure"],
        "plan": data["plan"],
        "target_date": data["target_date"],
        "status": data["status"],
        "competency_ids": [c.pk for c in data["competencies"]],
        "evidence_ids": [e.pk for e in data["evidence"]],
    }


@login_required
def goal_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    goals = goals_visible_to(viewer=learner, learner=learner)
    status = request.GET.get("status", "")
    if status in Goal.Status.values:
        goals = goals.filter(status=status)
    # Focus-next needs neither the stages of training nor the trajectory's table.
    dashboard_focus = (
        learner_dashboard(learner=learner, stages=False).focus_next if not status else []
    )
    return render(
        request,
        "portfolio/goal_list.html",
        {
            "page": _page(request, goals),
            "status": status,
            "statuses": Goal.Status.choices,
            "focus_next": dashboard_focus,
            "audience": _audience(active_grants(learner=learner), Scope.GOALS),
            "today": timezone.localdate(),
        },
    )


@login_required
@submit_once("goal")
def goal_create(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    initial: dict[str, Any] = {"status": Goal.Status.ACTIVE}
    competency = request.GET.get("competency", "")
    if competency.isdigit():
        initial["competencies"] = [int(competency)]
    form = _goal_form(request, learner, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(learner=learner, **_goal_data(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Goal added to your plan.")
            return redirect("goal-detail", pk=goal.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portfolio/goal_form.html",
        {
            "form": form,
            "goal": None,
            "audience": _audience(active_grants(learner=learner), Scope.GOALS),
        },
        status=status,
    )


@login_required
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    goal = get_object_or_404(goals_visible_to(viewer=learner, learner=learner), pk=pk)
    initial = {
        "title": goal.title,
        "measure": goal.measure,
        "plan": goal.plan,
        "target_date": goal.target_date,
        "status": goal.status,
        "competencies": list(goal.competencies.all()),
        "evidence": list(goal.evidence.all()),
    }
    form = _goal_form(request, learner, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(goal=goal, **_goal_data(form))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Goal saved.")
            return redirect("goal-detail", pk=goal.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portfolio/goal_form.html",
        {
            "form": form,
            "goal": goal,
            "audience": _audience(active_grants(learner=learner), Scope.GOALS),
        },
        status=status,
    )


@login_required
@submit_once("progress note")
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    goal = get_object_or_404(goals_visible_to(viewer=learner, learner=learner), pk=pk)
    form = ProgressNoteForm(request.POST or None, initial={"noted_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.goal_progress_note_add(
                    goal=goal,
                    text=form.cleaned_data["text"],
                    noted_on=form.cleaned_data["noted_on"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Progress noted.")
                return redirect("goal-detail", pk=goal.pk)
        status = 400
    return render(
        request,
        "portfolio/goal_detail.html",
        {
            "goal": goal,
            "form": form,
            "owner": True,
            "audience": _audience(active_grants(learner=learner), Scope.GOALS),
            "today": timezone.localdate(),
        },
        status=status,
    )


@login_required
@require_POST
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    goal = get_object_or_404(goals_visible_to(viewer=learner, learner=learner), pk=pk)
    services.goal_delete(goal=goal)
    messages.success(request, "Goal deleted.")
    return redirect("goal-list")


# --- Sharing and the access log ----------------------------------------------------------------


def _enrolled_programs(learner: User) -> QuerySet[Program]:
    return (
        Program.objects.filter(enrollments__learner=learner)
        .select_related("institution")
        .distinct()
        .order_by("name")
    )


@login_required
@submit_once("share")
def share_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = ShareGrantForm(request.POST or None, programs=_enrolled_programs(learner))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            person = data["audience"] == "person"
            try:
                grant = services.share_grant_create(
                    learner=learner,
                    scopes=data["scopes"],
                    grantee_email=data["grantee_email"] if person else "",
                    program_id=None if person else data["program"].pk,
                    expires_on=data["expires_on"],
                    note=data["note"],
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Shared with {grant.audience_label}.")
                return redirect("share-list")
        status = 400
    now = timezone.now()
    grants = list(share_grants_of(learner=learner))
    return render(
        request,
        "portfolio/share_list.html",
        {
            "form": form,
            "active": [g for g in grants if g.is_active(now)],
            "ended": [g for g in grants if not g.is_active(now)],
        },
        status=status,
    )


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    grant = get_object_or_404(share_grants_of(learner=learner), pk=pk)
    services.share_grant_revoke(grant=grant)
    messages.success(request, f"{grant.audience_label} can no longer see your portfolio.")
    return redirect("share-list")


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    entries = access_log_of(viewer=learner, learner=learner)
    return render(request, "portfolio/access_log.html", {"page": _page(request, entries, 50)})


# --- What others shared with me (read-only, every read logged) --------------------------------


@login_required
def shared_index(request: HttpRequest) -> HttpResponse:
    # A program-wide grant can make a director's list as long as the program.
    people = Paginator(learners_sharing_with(viewer=_user(request)), 50)
    return render(
        request, "portfolio/shared_index.html", {"page": people.get_page(request.GET.get("page"))}
    )


def _shared_access(request: HttpRequest, learner_id: int) -> Access:
    learner = get_object_or_404(User, pk=learner_id, is_active=True)
    access = access_for(viewer=_user(request), learner=learner)
    if not access.allows_anything:
        raise Http404
    return access


def _log(access: Access, items: list[Model], action: str = AccessLog.Action.LIST) -> None:
    services.access_log_record(access=access, items=items, action=action)


@login_required
def shared_portfolio(request: HttpRequest, learner_id: int) -> HttpResponse:
    """A learner's portfolio as someone they share with sees it: only the granted scopes."""
    access = _shared_access(request, learner_id)
    viewer, learner = access.viewer, access.learner
    checkins = list(
        checkins_visible_to(viewer=viewer, learner=learner, access=access)[:SHARED_PAGE_SIZE]
    )
    evidence = list(
        evidence_visible_to(viewer=viewer, learner=learner, access=access)[:SHARED_PAGE_SIZE]
    )
    goals = list(goals_visible_to(viewer=viewer, learner=learner, access=access)[:SHARED_PAGE_SIZE])
    _log(access, [*checkins, *evidence, *goals])
    return render(
        request,
        "portfolio/shared_portfolio.html",
        {
            "access": access,
            "learner": learner,
            "scopes": access.scopes,
            "checkins": checkins,
            "evidence": [e for e in evidence if e.kind != Evidence.Kind.REFLECTION],
            "reflections": [e for e in evidence if e.kind == Evidence.Kind.REFLECTION],
            "goals": goals,
            "Scope": Scope,
        },
    )


@login_required
def shared_evidence(request: HttpRequest, learner_id: int, pk: int) -> HttpResponse:
    access = _shared_access(request, learner_id)
    evidence = get_object_or_404(
        evidence_visible_to(viewer=access.viewer, learner=access.learner, access=access), pk=pk
    )
    _log(access, [evidence], AccessLog.Action.VIEW)
    return render(
        request,
        "portfolio/evidence_detail.html",
        {
            "evidence": evidence,
            "owner": False,
            "learner": access.learner,
            "file_url": reverse("shared-evidence-file", args=[access.learner.pk, evidence.pk]),
        },
    )


@login_required
def shared_evidence_file(request: HttpRequest, learner_id: int, pk: int) -> FileResponse:
    access = _shared_access(request, learner_id)
    evidence = get_object_or_404(
        evidence_visible_to(viewer=access.viewer, learner=access.learner, access=access), pk=pk
    )
    _log(access, [evidence], AccessLog.Action.DOWNLOAD)
    return file_response(evidence)


@login_required
def shared_goal(request: HttpRequest, learner_id: int, pk: int) -> HttpResponse:
    access = _shared_access(request, learner_id)
    goal = get_object_or_404(
        goals_visible_to(viewer=access.viewer, learner=access.learner, access=access), pk=pk
    )
    _log(access, [goal], AccessLog.Action.VIEW)
    return render(
        request,
        "portfolio/goal_detail.html",
        {"goal": goal, "owner": False, "learner": access.learner, "today": timezone.localdate()},
    )


@login_required
def shared_self_assessments(request: HttpRequest, learner_id: int) -> HttpResponse:
    """The full self-assessment history of a learner who shared their check-ins."""
    access = _shared_access(request, learner_id)
    items = self_assessments_visible_to(viewer=access.viewer, learner=access.learner, access=access)
    if not access.allows(Scope.CHECKINS):
        raise Http404
    page = _page(request, items, 50)
    _log(access, list(page.object_list))
    return render(
        request,
        "portfolio/shared_self_assessments.html",
        {"learner": access.learner, "page": page},
    )


# --- Export and import -------------------------------------------------------------------------


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = ImportForm()
    return render(
        request,
        "portfolio/transfer_list.html",
        {"transfers": transfers_of(learner=learner)[:20], "form": form},
    )


@login_required
@require_POST
@submit_once("export")
def export_start(request: HttpRequest) -> HttpResponse:
    job = transfer.portfolio_export_start(learner=_user(request))
    return redirect("transfer-detail", public_id=job.public_id)


@login_required
def kept_record_list(request: HttpRequest) -> HttpResponse:
    """Records kept from imported archives: what others wrote about the learner elsewhere
    (reviews, coaching, credentials…), read-only, with their authors' names as exported."""
    page = _page(request, kept_records_of(learner=_user(request)), KEPT_PAGE_SIZE)
    return render(
        request,
        "portfolio/kept_record_list.html",
        {"page": page, "records": [kept_record(r) for r in page.object_list]},
    )


@login_required
@require_POST
@submit_once("import")
def import_start(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = transfer.portfolio_import_start(
                learner=learner, upload=form.cleaned_data["archive"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("transfer-detail", public_id=job.public_id)
    return render(
        request,
        "portfolio/transfer_list.html",
        {"transfers": transfers_of(learner=learner)[:20], "form": form},
        status=400,
    )


@login_required
def transfer_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    job = get_object_or_404(transfers_of(learner=_user(request)), public_id=public_id)
    template = (
        "portfolio/_transfer_status.html"
        if request.GET.get("partial")
        else ("portfolio/transfer_detail.html")
    )
    return render(request, template, {"job": job})


@login_required
def transfer_download(request: HttpRequest, public_id: str) -> FileResponse:
    job = get_object_or_404(
        transfers_of(learner=_user(request)).filter(
            direction=PortfolioTransfer.Direction.EXPORT, status=PortfolioTransfer.Status.DONE
        ),
        public_id=public_id,
    )
    if not job.archive:
        raise Http404
    response = FileResponse(
        job.archive.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"continuum-portfolio-{job.created_at:%Y%m%d}.zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Check-ins: the learner's self-assessments, done together -------------------------------


_NUMBERED_LABEL = re.compile(r"^level\s+\d+(\.\d+)?$", re.IGNORECASE)


def _level_choices(
    levels: list[ScaleLevel], descriptors: dict[Decimal, str]
) -> list[dict[str, Any]]:
    """One item's level buttons. A whole level shows a short descriptor beside its number: the
    item's milestone text (cut to two lines on screen, read whole by a screen reader), else the
    scale's label when it says more than "Level 2". A half level between two whole ones is a
    narrow button beside the lower one; its name says what it sits between."""
    values = [level.value for level in levels]
    choices = []
    for index, level in enumerate(levels):
        half = level.value != level.value.to_integral_value()
        below = values[index - 1] if half and index else None
        above = values[index + 1] if half and index + 1 < len(values) else None
        after = values[index + 1] if index + 1 < len(values) else None
        short = descriptors.get(level.value, "")
        if not short and not half and not _NUMBERED_LABEL.match(level.label.strip()):
            short = level.label
        choices.append(
            {
                "value": level.value,
                "display": f"{level.value.normalize():f}",
                "label": level.label,
                "short": short,
                "half": half,
                "between": (
                    f"between level {below.normalize():f} and level {above.normalize():f}"
                    if below is not None and above is not None
                    else ""
                ),
                # A whole level with no half level after it takes the half level's place too.
                "wide": not half and (after is None or after == after.to_integral_value()),
                "text": level_text(descriptors, level.value) or level.anchor,
            }
        )
    return choices


def _whole_levels(levels: list[ScaleLevel]) -> str:
    """The whole levels a digit key chooses on the check-in page, as "0–5"."""
    whole = [int(v.value) for v in levels if v.value == v.value.to_integral_value()]
    whole = [v for v in whole if 0 <= v <= 9]
    if not whole:
        return ""
    return f"{min(whole)}–{max(whole)}" if len(whole) > 1 else str(whole[0])


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
                "levels": _level_choices(page.levels, descriptors),
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
    return render(request, "portfolio/checkin_start.html", {"frameworks": frameworks})


@login_required
@submit_once("check-in")
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
        form = CheckInForm(request.POST, competency_ids=[c.pk for c in page.items])
        try:
            if not form.is_valid():
                # The same answer as the service's refusal: problems shown next to items.
                raise CheckInInvalidError({"items": form.page_errors()}, form.item_errors())
            checkin, created = services.checkin_record_with_evidence(
                learner=learner,
                client_token=form.cleaned_data["client_token"],
                items=form.items(),
                framework=page.framework,
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
        "portfolio/checkin_form.html",
        {
            "page": page,
            "rows": _rows(page, posted, item_errors),
            "token": token,
            "single": single,
            "whole_levels": _whole_levels(page.levels),
            "evidence": evidence,
            "form_errors": form_errors,
            "audience": _audience(active_grants(learner=learner), Scope.CHECKINS),
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
        "portfolio/checkin_list.html",
        {
            "page": page,
            "frameworks": checkin_frameworks(learner=learner),
            "audience": _audience(active_grants(learner=learner), Scope.CHECKINS),
        },
    )


@login_required
def checkin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    checkin = get_object_or_404(checkins_visible_to(viewer=learner, learner=learner), pk=pk)
    return render(
        request,
        "portfolio/checkin_detail.html",
        {"checkin": checkin, "saved_token": request.GET.get("saved", "")},
    )


# --- Calibration: self-assessments against assessors' ratings


def _calibration_page(request: HttpRequest, learner: User) -> HttpResponse:
    viewer = _user(request)
    window = calibration_module.clamp_window(
        request.GET.get("window", calibration_module.DEFAULT_WINDOW_DAYS)
    )
    result = calibration_for(viewer=viewer, learner=learner, window_days=window)
    if result is None:
        raise Http404
    return render(
        request,
        "assessments/observations/calibration.html",
        {
            "calibration": result,
            "is_owner": viewer.pk == learner.pk,
            "windows": [30, 60, 90, 180],
            "close_enough": calibration_module.CLOSE_ENOUGH,
        },
    )


@login_required
def calibration_mine(request: HttpRequest) -> HttpResponse:
    return _calibration_page(request, _user(request))


@login_required
def calibration_of(request: HttpRequest, learner_id: int) -> HttpResponse:
    learner = User.objects.filter(pk=learner_id, is_active=True).first()
    if learner is None:
        raise Http404
    return _calibration_page(request, learner)

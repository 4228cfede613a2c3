"""Pages of committee review: the cohort heatmap, distributions, early-warning flags, review
packets with consensus and sign-off, reports and the institution overview; and the learner's
view of their signed-off reviews.

Every committee page looks its program up through `programs.selectors` so that someone
without a review role in that program gets a 404, never a hint that it exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from assessments.selectors.observations import assessments_received
from committee import entrustment, forms, services
from committee.charts import distribution_figure, packet_trajectory_figures, trends_figure
from committee.flags import flags_build
from committee.heatmap import BANDS, Filters, heatmap_build
from committee.heatmap_html import heatmap_page
from committee.models import EntrustmentDecision
from committee.overview import distributions_build, overview_build
from committee.overview_html import overview_page
from committee.packet import packet_build
from committee.reports import consensus_csv_response
from committee.selectors import consensus_history, enrollment_in_period, reviews_of_learner
from core.csp import draws_charts
from core.forms import apply_errors
from core.once import submit_once
from core.replica import reading_from_replica
from portfolio.services import access_log_record_official
from programs.middleware import program_roles
from programs.models import Enrollment, Program, ReviewPeriod
from programs.selectors import (
    program_reviewed_by,
    program_reviewed_by_read,
    programs_signed_off_by,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _reviewed(request: HttpRequest, program_id: int) -> Program:
    """The program, if the viewer reviews it; else 404."""
    program = program_reviewed_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    return program


def _reviewed_page(request: HttpRequest, program_id: int) -> Program:
    """`_reviewed` for a page: the navigation's roles are read in the same round trip."""
    [program] = program_roles(request).read_with(
        program_reviewed_by_read(user=_user(request), program_id=program_id)
    )
    if program is None:
        raise Http404
    return program


@login_required
def heatmap_show(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _reviewed_page(request, program_id)
    with reading_from_replica():
        heatmap = heatmap_build(program=program, filters=Filters.from_query(request.GET))
    # Like render(), with the table written by heatmap_html (thousands of cells).
    return heatmap_page(
        request,
        "committee/heatmap.html",
        {"program": program, "heatmap": heatmap, "bands": BANDS, "tab": "heatmap"},
    )


@login_required
@draws_charts
def distribution_show(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _reviewed_page(request, program_id)
    filters = Filters.from_query(request.GET)
    data = distributions_build(program=program, filters=filters)
    return render(
        request,
        "committee/distributions.html",
        {
            "program": program,
            "data": data,
            "distribution_figure": distribution_figure(data),
            "trends_figure": trends_figure(data),
            "figures": True,
            "tab": "distributions",
        },
    )


@login_required
def flag_index(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _reviewed_page(request, program_id)
    flags = flags_build(program=program, filters=Filters.from_query(request.GET))
    return render(
        request, "committee/flags.html", {"program": program, "flags": flags, "tab": "flags"}
    )


def _packet_context(
    request: HttpRequest, program: Program, period_id: int, learner_id: int
) -> dict[str, object]:
    period = get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)
    try:
        enrollment = enrollment_in_period(program=program, learner_id=learner_id, period=period)
    except Enrollment.DoesNotExist:
        raise Http404 from None
    packet = packet_build(
        program=program, period=period, enrollment=enrollment, viewer=_user(request)
    )
    sections = list(packet.sections)
    return {
        "program": program,
        "packet": packet,
        # Each sub-competency with its neighbours, for the links between sections.
        "section_links": [
            (
                section,
                sections[i - 1] if i else None,
                sections[i + 1] if i + 1 < len(sections) else None,
            )
            for i, section in enumerate(sections)
        ],
        "trajectory_figures": packet_trajectory_figures(packet),
        "sign_off_form": forms.SignOffForm(),
        "tab": "heatmap",
    }


@login_required
@draws_charts
def packet_show(
    request: HttpRequest, program_id: int, period_id: int, learner_id: int
) -> HttpResponse:
    program = _reviewed_page(request, program_id)
    context = _packet_context(request, program, period_id, learner_id)
    return render(request, "committee/packet.html", context)


@login_required
def packet_print(
    request: HttpRequest, program_id: int, period_id: int, learner_id: int
) -> HttpResponse:
    program = _reviewed(request, program_id)
    context = _packet_context(request, program, period_id, learner_id)
    context["printing"] = True
    return render(request, "committee/packet_print.html", context)


@login_required
@require_POST
def consensus_record(
    request: HttpRequest, program_id: int, period_id: int, learner_id: int
) -> HttpResponse:
    program = _reviewed(request, program_id)
    period = get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)
    try:
        enrollment = enrollment_in_period(program=program, learner_id=learner_id, period=period)
    except Enrollment.DoesNotExist:
        raise Http404 from None
    form = forms.ConsensusForm(request.POST)
    packet_url = reverse(
        "program-packet",
        kwargs={"program_id": program.pk, "period_id": period.pk, "learner_id": learner_id},
    )
    back = request.POST.get("next", "")
    # Meeting mode records consensus in place: back to the same learner there.
    if back.startswith(reverse("program-meeting", kwargs={"program_id": program.pk}) + "?"):
        packet_url = back
    if not form.is_valid():
        messages.error(request, "Give a level and the committee's rationale.")
        return redirect(packet_url)
    competency_id = form.cleaned_data["competency"]
    try:
        review = services.learner_review_open(period=period, enrollment=enrollment)
        services.consensus_record(
            review=review,
            competency_id=competency_id,
            level=form.cleaned_data["level"],
            rationale=form.cleaned_data["rationale"],
            amendment_reason=form.cleaned_data["amendment_reason"],
            by=_user(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Consensus recorded.")
    return redirect(f"{packet_url}#c-{competency_id}")  # the meeting's rows carry the ids too


@login_required
@require_POST
def review_sign_off(
    request: HttpRequest, program_id: int, period_id: int, learner_id: int
) -> HttpResponse:
    program = get_object_or_404(programs_signed_off_by(user=_user(request)), pk=program_id)
    period = get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)
    try:
        enrollment = enrollment_in_period(program=program, learner_id=learner_id, period=period)
    except Enrollment.DoesNotExist:
        raise Http404 from None
    form = forms.SignOffForm(request.POST)
    form.is_valid()
    try:
        review = services.learner_review_open(period=period, enrollment=enrollment)
        services.review_sign_off(
            review=review, by=_user(request), summary=form.cleaned_data.get("summary", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Review signed off; the learner can now see it.")
    return redirect(
        "program-packet", program_id=program.pk, period_id=period.pk, learner_id=learner_id
    )


@login_required
def consensus_csv(request: HttpRequest, program_id: int, period_id: int) -> HttpResponse:
    program = _reviewed(request, program_id)
    period = get_object_or_404(ReviewPeriod.objects.filter(program=program), pk=period_id)
    with reading_from_replica():
        return consensus_csv_response(program=program, period=period)


@login_required
def overview_show(request: HttpRequest) -> HttpResponse:
    with reading_from_replica():
        overview = overview_build(viewer=_user(request))
    if overview is None:
        raise Http404
    return overview_page(request, "committee/overview.html", {"overview": overview})


# --- The learner's side --------------------------------------------------------------------


@login_required
def my_review_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "committee/my_reviews.html",
        {
            "reviews": reviews_of_learner(learner=_user(request)),
            "decisions": list(entrustment.decisions_of_learner(learner=_user(request))),
        },
    )


@login_required
def my_review_show(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_object_or_404(reviews_of_learner(learner=_user(request)), pk=review_id)
    form = forms.ResponseForm(request.POST or None, initial={"text": review.learner_response})
    if request.method == "POST" and form.is_valid():
        try:
            services.review_respond(
                review=review, learner=_user(request), text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Your response is saved with the review.")
            return redirect("my-review-detail", review_id=review.pk)
    ratings = list(consensus_history(review=review))
    current = [r for r in ratings if r.is_current]
    amended = {r.competency_id for r in ratings if r.version > 1 and r.amendment_reason}
    return render(
        request,
        "committee/my_review.html",
        {
            "review": review,
            "ratings": current,
            "history": ratings,
            "amended": amended,
            "form": form,
            "today": dt.date.today(),
        },
    )


# --- Entrustment decisions ---------------------------------------------------------------


def _entrustment_url(program_id: int, learner_id: int) -> str:
    return reverse(
        "program-entrustment", kwargs={"program_id": program_id, "learner_id": learner_id}
    )


@login_required
@submit_once("entrustment decision")
def entrustment_show(request: HttpRequest, program_id: int, learner_id: int) -> HttpResponse:
    program = _reviewed_page(request, program_id)
    enrollment = (
        Enrollment.objects.filter(program=program, learner_id=learner_id)
        .select_related("learner")
        .order_by("-start_date")
        .first()
    )
    if enrollment is None:
        raise Http404
    learner = enrollment.learner
    if request.method == "POST":
        return _entrustment_record(request, program, learner)
    epas = list(entrustment.program_epas(program=program))
    decisions = list(entrustment.decisions_for_committee(program=program, learner_id=learner.pk))
    rated = assessments_received(learner=learner).filter(competency__in=epas)
    by_epa: dict[int, list[Any]] = {epa.pk: [] for epa in epas}
    for assessment in rated:
        by_epa[assessment.competency_id].append(assessment)
    rows = [
        {
            "epa": epa,
            "current": next(
                (d for d in decisions if d.competency_id == epa.pk and d.is_current), None
            ),
            "earlier": [d for d in decisions if d.competency_id == epa.pk and not d.is_current],
            "assessments": by_epa[epa.pk],
            "levels": list(epa.framework.scale.levels.all()),
        }
        for epa in epas
    ]
    access_log_record_official(
        viewer=_user(request),
        reads=[
            (
                learner.pk,
                "entrustmentdecisions",
                program.pk,
                f"Entrustment decisions ({program.name})",
            )
        ],
    )
    return render(
        request,
        "committee/entrustment.html",
        {
            "program": program,
            "learner": learner,
            "rows": rows,
            "today": dt.date.today(),
            "tab": "heatmap",
        },
    )


def _entrustment_record(request: HttpRequest, program: Program, learner: User) -> HttpResponse:
    ids = [int(v) for v in request.POST.getlist("evidence") if v.isdigit()]
    form = forms.EntrustmentForm(request.POST, evidence_ids=ids)
    url = _entrustment_url(program.pk, learner.pk)
    if not form.is_valid():
        messages.error(request, "Give the level, the date and what the decision rests on.")
        return redirect(url)
    data = form.cleaned_data
    try:
        entrustment.entrustment_decision_record(
            program=program,
            learner_id=learner.pk,
            competency_id=data["competency"],
            level=data["level"],
            decided_on=data["decided_on"],
            rationale=data["rationale"],
            conditions=data["conditions"],
            evidence_ids=data["evidence"],
            evidence_note=data["evidence_note"],
            by=_user(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Decision recorded; the program director signs it off.")
    return redirect(f"{url}#epa-{data['competency']}")


@login_required
@require_POST
def entrustment_sign_off(request: HttpRequest, program_id: int, decision_id: int) -> HttpResponse:
    program = get_object_or_404(programs_signed_off_by(user=_user(request)), pk=program_id)
    decision = get_object_or_404(
        EntrustmentDecision.objects.filter(program=program), pk=decision_id
    )
    try:
        entrustment.entrustment_decision_sign_off(decision=decision, by=_user(request))
    except entrustment.EntrustmentConflictError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Signed off; the learner can now see the decision.")
    return redirect(
        f"{_entrustment_url(program.pk, decision.learner_id)}#epa-{decision.competency_id}"
    )


# --- Meeting mode ------------------------------------------------------------------------


def _meeting_url(program_id: int, period_id: int, learner_id: int) -> str:
    return (
        reverse("program-meeting", kwargs={"program_id": program_id})
        + f"?period={period_id}&learner={learner_id}"
    )


@login_required
def meeting_show(request: HttpRequest, program_id: int) -> HttpResponse:
    """The presenter's view: the period's learners one at a time, most concern first (as the
    heatmap orders them: flagged first), each on one screen with consensus recorded in place.
    Reading a learner's summary is access-logged as the packet is."""
    program = _reviewed_page(request, program_id)
    heatmap = heatmap_build(program=program, filters=Filters.from_query(request.GET))
    context: dict[str, Any] = {"program": program, "heatmap": heatmap, "tab": "meeting"}
    if heatmap.period is None or not heatmap.rows:
        return render(request, "committee/meeting.html", context)
    order = [row.learner_id for row in heatmap.rows]
    wanted = request.GET.get("learner", "")
    learner_id = int(wanted) if wanted.isdigit() else order[0]
    if learner_id not in order:
        raise Http404
    at = order.index(learner_id)
    period = heatmap.period
    try:
        enrollment = enrollment_in_period(program=program, learner_id=learner_id, period=period)
    except Enrollment.DoesNotExist:
        raise Http404 from None
    packet = packet_build(
        program=program, period=period, enrollment=enrollment, viewer=_user(request)
    )
    row = heatmap.rows[at]
    context.update(
        {
            "packet": packet,
            "row": row,
            "at": at + 1,
            "count": len(order),
            "previous_url": _meeting_url(program.pk, period.pk, order[at - 1]) if at else "",
            "next_url": (
                _meeting_url(program.pk, period.pk, order[at + 1]) if at + 1 < len(order) else ""
            ),
            "here": _meeting_url(program.pk, period.pk, learner_id),
        }
    )
    return render(request, "committee/meeting.html", context)

"""Pages for assessments by others: requests, the one-minute observation form, records with
the learner's response, the assessor's inbox and comparison, and calibration.

Reads come from `assessments.selectors.observations` (access rules); writes from
`assessments.services.observations`. Anything a viewer may not see is a 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from assessments.forms import (
    AssessmentFormBuildForm,
    AssessNowEmailForm,
    AssessNowForm,
    DeclineForm,
    FeedbackAskForm,
    FeedbackProgramAskForm,
    ObservationRequestForm,
    ResponseForm,
    ReviseForm,
    RotationDefineForm,
    ScheduledRotationForm,
    ScheduleUploadForm,
    StartObservationForm,
)
from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    ObservationSetting,
    ScheduledRotation,
)
from assessments.selectors.feedback import (
    MIN_EVALUATIONS,
    MIN_GROUP,
    assess_now_code_of,
    evaluable_by,
    feedback_request_of,
    feedback_requests_made_by,
    feedback_requests_of,
    feedback_summary_for,
    program_directed_by,
    program_learners,
    program_teaching_results,
    teaching_results_for,
)
from assessments.selectors.forms import (
    form_managed_by,
    forms_available,
    forms_managed_by,
    program_forms_for_learner,
    shipped_form_for,
    shipped_scales,
)
from assessments.selectors.observations import (
    MIN_COLLEAGUES,
    assessment_filter_choices,
    assessment_for_author,
    assessment_for_learner,
    assessment_visible_to,
    assessments_given,
    assessments_received,
    assessor_programs_for_learner,
    assessors_for,
    inbox_for,
    learners_assessable_by,
    leniency_for,
    observable_frameworks,
    request_for_assessor,
    request_visible_to,
    requests_of_learner,
)
from assessments.selectors.rotations import (
    WAITING_SHOWN,
    block_scheduled_by,
    completion_of,
    program_scheduled_by,
    rotations_of,
    schedule_of,
)
from assessments.selectors.turnaround import turnaround_of
from assessments.services import assess_now as assess_now_services
from assessments.services import rotations as rotation_services
from assessments.services.assess_now import (
    AssessNowError,
    assess_now_code_create,
    assess_now_link_request,
    assess_now_link_use,
    assess_now_redeem,
    code_from_token,
    code_minutes,
    code_token,
    link_from_token,
    link_minutes,
)
from assessments.services.feedback import (
    ROTATION_FORM,
    TEACHER_FORM,
    EvaluationConflictError,
    FeedbackLinkError,
    check_link_open,
    feedback_request_create,
    feedback_request_from_token,
    feedback_respond,
    feedback_token,
    form_for_rater,
    rotation_evaluation_create,
    teacher_evaluation_create,
)
from assessments.services.forms import (
    CUSTOM_SCALE,
    FRAMEWORK_SCALE,
    LevelInput,
    assessment_form_create,
    assessment_form_retire,
)
from assessments.services.observations import (
    HINTS,
    NARRATIVE_MAX,
    SHORT_NARRATIVE_WORDS,
    STOCK_PHRASES,
    ObservationConflictError,
    RatingInput,
    assessment_acknowledge,
    assessment_is_correctable,
    assessment_respond,
    assessment_revise,
    form_scale,
    narrative_hints,
    observation_record,
    observation_request_complete,
    observation_request_create,
    observation_request_decline,
)
from core.forms import apply_errors
from core.once import submit_once
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from programs.models import Program
from programs.selectors import programs_managed_by

PAGE_SIZE = 20
PERIODS = {"30": 30, "90": 90, "365": 365}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


# --- The learner's requests ------------------------------------------------------------------


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    page = Paginator(requests_of_learner(learner=learner), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessments/observations/request_list.html",
        {"page": page, "today": timezone.localdate()},
    )


@login_required
@submit_once("observation request")
def request_create(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    frameworks = list(observable_frameworks(learner=learner))
    assessors = assessors_for(learner=learner)
    form = ObservationRequestForm(
        request.POST or None,
        learner=learner,
        assessors=assessors,
        frameworks=frameworks,
        program_forms=list(program_forms_for_learner(learner=learner)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made, created = observation_request_create(
                learner=learner,
                assessor_id=data["assessor"].pk,
                competency_ids=form.competency_ids(),
                setting=data["setting"],
                case_type=data["case_type"],
                encounter_on=data["encounter_on"],
                due_on=data["due_on"],
                note=data["note"],
                client_token=data["client_token"],
                form_id=data["form"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                messages.success(request, f"Request sent to {made.assessor.name}.")
            return redirect("observation-request-detail", made.pk)
    return render(
        request,
        "assessments/observations/request_form.html",
        {"form": form, "has_assessors": assessors.exists(), "frameworks": frameworks},
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _user(request)
    item = request_visible_to(viewer=viewer, pk=pk)
    if item is None:
        raise Http404
    return render(
        request,
        "assessments/observations/request_detail.html",
        {
            "item": item,
            "is_assessor": item.assessor_id == viewer.pk,
            "today": timezone.localdate(),
        },
    )


# --- The one-minute form -------------------------------------------------------------------


@dataclass
class LevelChoice:
    value: Decimal
    display: str
    label: str
    anchor: str


def _level_choices(scale: RatingScale) -> list[LevelChoice]:
    levels: list[ScaleLevel] = list(scale.levels.all())
    return [
        LevelChoice(
            value=level.value,
            display=f"{level.value.normalize():f}",
            label=level.label,
            anchor=level.anchor,
        )
        for level in levels
    ]


def _answers_from(post: Any, form: AssessmentForm) -> dict[str, str]:
    """The optional prompts' answers, posted as answer-1, answer-2, … in the form's order."""
    return {
        prompt: post.get(f"answer-{number}", "")
        for number, prompt in enumerate(form.optional_prompts, start=1)
        if post.get(f"answer-{number}", "").strip()
    }


def _descriptors(competencies: list[Competency]) -> dict[int, dict[str, str]]:
    """Level descriptors of each competency keyed by the level as displayed (one query)."""
    found: dict[int, dict[str, str]] = {c.pk: {} for c in competencies}
    for row in LevelDescriptor.objects.filter(competency__in=competencies):
        found[row.competency_id][f"{row.level.normalize():f}"] = row.text
    return found


def _form_context(
    *,
    learner: User,
    framework: Framework,
    form: AssessmentForm,
    competencies: list[Competency],
    posted: Any,
    errors: dict[str, list[str]],
    context_line: str,
    default_day: dt.date,
) -> dict[str, Any]:
    scale = form_scale(form, framework)
    levels = _level_choices(scale)
    # Level descriptors belong to the framework's own scale; another scale shows its anchors.
    descriptors = (
        _descriptors(competencies)
        if form.uses_framework_scale
        else {c.pk: {} for c in competencies}
    )
    items = []
    for competency in competencies:
        chosen = posted.get(f"level-{competency.pk}", "") if posted else ""
        items.append(
            {
                "competency": competency,
                "chosen": chosen,
                "levels": [
                    {
                        "choice": level,
                        "text": descriptors[competency.pk].get(level.display) or level.anchor,
                    }
                    for level in levels
                ],
            }
        )
    return {
        "learner": learner,
        "framework": framework,
        "form": form,
        "scale": scale,
        # Big tap targets with the anchor beside each level: EPA forms on the framework's own
        # scale. Every other scale is a row of levels with the anchors one tap away.
        "is_epa": framework.kind == Framework.Kind.EPA and form.uses_framework_scale,
        "optional": [
            (number, prompt, posted.get(f"answer-{number}", "") if posted else "")
            for number, prompt in enumerate(form.optional_prompts, start=1)
        ],
        "items": items,
        "went_well": posted.get("went_well", "") if posted else "",
        "next_step": posted.get("next_step", "") if posted else "",
        "observed_on": (posted.get("observed_on") if posted else "") or default_day.isoformat(),
        "submission_key": (posted.get("submission_key") if posted else "") or uuid.uuid4(),
        "errors": errors,
        "context_line": context_line,
        "narrative_max": NARRATIVE_MAX,
        "hint_config": {
            "stock": list(STOCK_PHRASES),
            "short_words": SHORT_NARRATIVE_WORDS,
            "messages": HINTS,
        },
        "today": timezone.localdate().isoformat(),
    }


def _ratings_from(post: Any, competencies: list[Competency]) -> list[RatingInput]:
    return [
        RatingInput(competency_id=c.pk, level=post.get(f"level-{c.pk}"))
        for c in competencies
        if post.get(f"level-{c.pk}")
    ]


def _parse_day(raw: str | None) -> tuple[dt.date | None, bool]:
    if not raw:
        return None, True
    try:
        return dt.date.fromisoformat(raw), True
    except ValueError:
        return None, False


def _after_submit(request: HttpRequest, first: Assessment, went_well: str, next_step: str) -> None:
    hints = narrative_hints(went_well=went_well, next_step=next_step)
    tip = next(iter(hints.values()), [""])[0]
    text = "Observation recorded. You can correct it for 24 hours."
    if tip:
        text += f" A tip for next time: {tip}"
    messages.success(request, text)


@login_required
def request_complete(request: HttpRequest, pk: int) -> HttpResponse:
    assessor = _user(request)
    item = request_for_assessor(assessor=assessor, pk=pk)
    if item is None:
        raise Http404
    if item.status != AssessmentRequest.Status.OPEN and request.method != "POST":
        return redirect("observation-request-detail", item.pk)
    competencies = list(item.competencies.all())
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        day, day_ok = _parse_day(request.POST.get("observed_on"))
        if not day_ok:
            errors["observed_on"] = ["Enter a date."]
        else:
            try:
                result = observation_request_complete(
                    request=item,
                    assessor=assessor,
                    ratings=_ratings_from(request.POST, competencies),
                    went_well=request.POST.get("went_well", ""),
                    next_step=request.POST.get("next_step", ""),
                    observed_on=day,
                    submission_key=request.POST.get("submission_key", ""),
                    answers=_answers_from(request.POST, item.form),
                )
            except ValidationError as error:
                errors = error.message_dict
            except ObservationConflictError as error:
                messages.error(request, str(error))
                return redirect("observation-request-detail", item.pk)
            else:
                first = result.assessments[0]
                if result.created:
                    _after_submit(request, first, first.went_well, first.next_step)
                return redirect("assessment-detail", first.pk)
    context = _form_context(
        learner=item.learner,
        framework=item.framework,
        form=item.form,
        competencies=competencies,
        posted=request.POST if request.method == "POST" else None,
        errors=errors,
        context_line=" · ".join(
            part
            for part in (
                item.get_setting_display() if item.setting else "",
                item.case_type,
                f"{item.encounter_on:%d %b %Y}" if item.encounter_on else "",
            )
            if part
        ),
        default_day=item.encounter_on or timezone.localdate(),
    )
    context.update({"item": item, "decline_form": DeclineForm()})
    status = 400 if errors else 200
    return render(request, "assessments/observations/observe_form.html", context, status=status)


@login_required
def request_decline(request: HttpRequest, pk: int) -> HttpResponse:
    assessor = _user(request)
    item = request_for_assessor(assessor=assessor, pk=pk)
    if item is None:
        raise Http404
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            observation_request_decline(
                request=item, assessor=assessor, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        except ObservationConflictError as error:
            messages.error(request, str(error))
            return redirect("observation-request-detail", item.pk)
        else:
            messages.success(request, "Declined; the learner has been told.")
            return redirect("assessor-inbox")
    return render(request, "assessments/observations/decline.html", {"item": item, "form": form})


# --- Observing unasked -------------------------------------------------------------------


@login_required
def observation_start(request: HttpRequest) -> HttpResponse:
    assessor = _user(request)
    learners = learners_assessable_by(assessor=assessor)
    form = StartObservationForm(request.GET or None, learners=learners)
    chosen: User | None = None
    frameworks: list[Framework] = []
    if request.GET.get("learner") and form.is_valid():
        chosen = form.cleaned_data["learner"]
        programs = assessor_programs_for_learner(learner=chosen, assessor_id=assessor.pk)
        framework_ids = {f.pk for p in programs for f in p.frameworks.all()}
        frameworks = [f for f in observable_frameworks(learner=chosen) if f.pk in framework_ids]
    return render(
        request,
        "assessments/observations/start.html",
        {
            "form": form,
            "chosen": chosen,
            "frameworks": frameworks,
            "has_learners": learners.exists(),
        },
    )


def _forms_offered(programs: list[Any], framework: Framework) -> list[AssessmentForm]:
    """The forms for this kind of item in the learner's programs where the viewer assesses."""
    rates = (
        AssessmentForm.Rates.EPA
        if framework.kind == Framework.Kind.EPA
        else AssessmentForm.Rates.MILESTONES
    )
    found: dict[int, AssessmentForm] = {}
    for program in programs:
        for form in forms_available(program_id=program.pk).filter(rates=rates):
            found.setdefault(form.pk, form)
    return sorted(found.values(), key=lambda f: (f.program_id is not None, f.name))


@login_required
@submit_once("observation")
def observation_create(request: HttpRequest, learner_id: int) -> HttpResponse:
    assessor = _user(request)
    programs = assessor_programs_for_learner(learner_id=learner_id, assessor_id=assessor.pk)
    if not programs:
        raise Http404
    learner = get_object_or_404(User, pk=learner_id)
    source = request.POST if request.method == "POST" else request.GET
    ids = [pk for pk in (_int(v) for v in source.getlist("competency")) if pk is not None]
    framework_ids = {f.pk for p in programs for f in p.frameworks.all()}
    competencies = list(
        Competency.objects.ratable()
        .filter(pk__in=ids, framework_id__in=framework_ids)
        .select_related("framework", "framework__scale")
        .order_by("order", "id")
    )
    if not competencies or len({c.framework_id for c in competencies}) != 1:
        messages.error(request, "Choose an EPA, or sub-competencies of one framework.")
        return redirect(f"{reverse('observation-start')}?learner={learner.pk}")
    framework = competencies[0].framework
    offered = _forms_offered(programs, framework)
    chosen_id = _int(source.get("form"))
    form = next((f for f in offered if f.pk == chosen_id), None) or shipped_form_for(
        framework=framework
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        day, day_ok = _parse_day(request.POST.get("observed_on"))
        if not day_ok:
            errors["observed_on"] = ["Enter a date."]
        else:
            try:
                result = observation_record(
                    assessor=assessor,
                    learner_id=learner.pk,
                    ratings=_ratings_from(request.POST, competencies),
                    went_well=request.POST.get("went_well", ""),
                    next_step=request.POST.get("next_step", ""),
                    setting=request.POST.get("setting", ""),
                    case_type=request.POST.get("case_type", ""),
                    observed_on=day,
                    submission_key=request.POST.get("submission_key", ""),
                    form_id=form.pk,
                    answers=_answers_from(request.POST, form),
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                first = result.assessments[0]
                if result.created:
                    _after_submit(request, first, first.went_well, first.next_step)
                return redirect("assessment-detail", first.pk)
    context = _form_context(
        learner=learner,
        framework=framework,
        form=form,
        competencies=competencies,
        posted=request.POST if request.method == "POST" else None,
        errors=errors,
        context_line="",
        default_day=timezone.localdate(),
    )
    context.update(
        {
            "unasked": True,
            "forms_offered": offered if len(offered) > 1 else [],
            "settings": ObservationSetting.choices,
            "setting": request.POST.get("setting", ""),
            "case_type": request.POST.get("case_type", ""),
        }
    )
    status = 400 if errors else 200
    return render(request, "assessments/observations/observe_form.html", context, status=status)


# --- Records ---------------------------------------------------------------------------------


def _detail_context(item: Assessment, viewer: User, form: ResponseForm | None) -> dict[str, Any]:
    is_learner = item.learner_id == viewer.pk
    is_author = item.assessor_id == viewer.pk
    label = (
        ScaleLevel.objects.filter(scale_id=item.scale_id, value=item.level)
        .values_list("label", flat=True)
        .first()
    )
    if is_learner and form is None:
        form = ResponseForm(initial={"client_token": uuid.uuid4()})
    return {
        "item": item,
        "level_label": label or "",
        "is_learner": is_learner,
        "is_author": is_author,
        "correctable": is_author and assessment_is_correctable(item),
        "response_form": form if is_learner else None,
        "versions": list(item.versions.all()),
        "responses": list(item.responses.all()),
    }


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _user(request)
    item = assessment_visible_to(viewer=viewer, pk=pk)
    if item is None:
        raise Http404
    return render(
        request,
        "assessments/observations/assessment_detail.html",
        _detail_context(item, viewer, None),
    )


@login_required
def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    author = _user(request)
    item = assessment_for_author(author=author, pk=pk)
    if item is None:
        raise Http404
    correctable = assessment_is_correctable(item)
    levels = _level_choices(item.scale)
    choices = [(c.display, f"{c.display} · {c.label}" if c.label else c.display) for c in levels]
    initial = {
        "level": f"{item.level.normalize():f}",
        "went_well": item.went_well,
        "next_step": item.next_step,
        "observed_on": item.observed_on,
    }
    form = ReviseForm(request.POST or None, initial=initial, level_choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            assessment_revise(
                assessment=item,
                author=author,
                level=data["level"],
                went_well=data["went_well"],
                next_step=data["next_step"],
                observed_on=data["observed_on"],
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        except ObservationConflictError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "Corrected." if correctable else "Amended; the learner sees the reason.",
            )
            return redirect("assessment-detail", item.pk)
    return render(
        request,
        "assessments/observations/assessment_edit.html",
        {"item": item, "form": form, "correctable": correctable},
    )


@login_required
@require_POST
def assessment_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    item = assessment_for_learner(learner=learner, pk=pk)
    if item is None:
        raise Http404
    assessment_acknowledge(assessment=item, learner=learner)
    messages.success(request, "Marked as read.")
    return redirect("assessment-detail", item.pk)


@login_required
@require_POST
@submit_once("response")
def assessment_respond_view(request: HttpRequest, pk: int) -> HttpResponse:
    learner = _user(request)
    item = assessment_for_learner(learner=learner, pk=pk)
    if item is None:
        raise Http404
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            assessment_respond(
                assessment=item,
                learner=learner,
                text=form.cleaned_data["text"],
                client_token=form.cleaned_data["client_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Your response is saved with the assessment.")
            return redirect("assessment-detail", item.pk)
    full = assessment_visible_to(viewer=learner, pk=pk)
    assert full is not None
    return render(
        request,
        "assessments/observations/assessment_detail.html",
        _detail_context(full, learner, form),
        status=400,
    )


def _period(raw: str | None) -> tuple[str, dt.date | None]:
    key = raw if raw in PERIODS else ""
    if not key:
        return "", None
    return key, timezone.localdate() - dt.timedelta(days=PERIODS[key])


@login_required
def received_list(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    competency_id = _int(request.GET.get("competency"))
    assessor_id = _int(request.GET.get("assessor"))
    period, since = _period(request.GET.get("period"))
    rows = assessments_received(
        learner=learner, competency_id=competency_id, assessor_id=assessor_id, since=since
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    competencies, assessors = assessment_filter_choices(learner=learner)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "assessments/observations/received_list.html",
        {
            "page": page,
            "competencies": competencies,
            "assessors": assessors,
            "competency_id": competency_id,
            "assessor_id": assessor_id,
            "period": period,
            "periods": [
                ("", "Any time"),
                ("30", "Last 30 days"),
                ("90", "Last 90 days"),
                ("365", "Last year"),
            ],
            "query": query.urlencode(),
        },
    )


# --- The assessor's side ---------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    assessor = _user(request)
    return render(
        request,
        "assessments/observations/inbox.html",
        {"inbox": inbox_for(assessor=assessor), "today": timezone.localdate()},
    )


@login_required
def given_list(request: HttpRequest) -> HttpResponse:
    assessor = _user(request)
    page = Paginator(assessments_given(assessor=assessor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "assessments/observations/given_list.html", {"page": page})


@login_required
def turnaround(request: HttpRequest) -> HttpResponse:
    """The assessor's own completion and turnaround over the last 90 days and year."""
    return render(
        request,
        "assessments/observations/turnaround.html",
        {
            "windows": turnaround_of(assessor=_user(request)),
            "default_due_days": AssessmentRequest.DEFAULT_DUE_DAYS,
        },
    )


COMPARISON_PERIODS = {"180": 180, "365": 365, "730": 730}


@login_required
def comparison(request: HttpRequest) -> HttpResponse:
    assessor = _user(request)
    raw = request.GET.get("period") or ""
    key = raw if raw in COMPARISON_PERIODS else "365"
    until = timezone.localdate()
    since = until - dt.timedelta(days=COMPARISON_PERIODS[key])
    return render(
        request,
        "assessments/observations/comparison.html",
        {
            "leniency": leniency_for(assessor=assessor, since=since, until=until),
            "period": key,
            "periods": [("180", "6 months"), ("365", "12 months"), ("730", "2 years")],
            "minimum": MIN_COLLEAGUES,
        },
    )


# --- Forms: what a program's observations ask --------------------------------------------


def _managed_program(request: HttpRequest, program_id: int) -> Program:
    """The program, if the viewer manages it (director, coordinator); else 404."""
    return get_object_or_404(programs_managed_by(user=_user(request)), pk=program_id)


@login_required
def form_list(request: HttpRequest) -> HttpResponse:
    programs = list(programs_managed_by(user=_user(request)).order_by("name"))
    if not programs:
        raise Http404
    return render(
        request,
        "assessments/forms/list.html",
        {"forms": list(forms_managed_by(user=_user(request))), "programs": programs},
    )


@login_required
@submit_once("assessment form")
def form_create(request: HttpRequest, program_id: int) -> HttpResponse:
    program = _managed_program(request, program_id)
    frameworks = list(
        program.frameworks.prefetch_related(
            Prefetch(
                "competencies",
                queryset=Competency.objects.ratable().order_by("order", "id"),
                to_attr="ratable_items",
            )
        ).order_by("kind", "code")
    )
    items = [
        (f.name, [(c.pk, f"{c.code} · {c.title}") for c in f.ratable_items])  # type: ignore[attr-defined]
        for f in frameworks
    ]
    scales = list(shipped_scales())
    scale_choices = [
        (FRAMEWORK_SCALE, "Each framework's own scale"),
        *[(s.code, s.name) for s in scales],
        (CUSTOM_SCALE, "A scale we define (levels below)"),
    ]
    form = AssessmentFormBuildForm(request.POST or None, scale_choices=scale_choices, items=items)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = assessment_form_create(
                program=program,
                by=_user(request),
                name=data["name"],
                rates=data["rates"],
                scale=data["scale"],
                scale_name=data["scale_name"],
                levels=[LevelInput(v, label, anchor) for v, label, anchor in form.level_lines()],
                competency_ids=data["competencies"],
                went_well_prompt=data["went_well_prompt"],
                next_step_prompt=data["next_step_prompt"],
                optional_prompts=form.optional_lines(),
                milestone_mapping=form.mapping_lines(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"“{made.name}” is ready for {program.name}'s observations.")
            return redirect("assessment-form-detail", made.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "assessments/forms/create.html",
        {"form": form, "program": program, "scales": scales},
        status=status,
    )


@login_required
def form_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = form_managed_by(user=_user(request), pk=pk)
    if item is None:
        raise Http404
    levels = _level_choices(item.scale) if item.scale is not None else []
    mapping = item.milestone_mapping
    return render(
        request,
        "assessments/forms/detail.html",
        {
            "item": item,
            "levels": [(level, mapping.get(level.display)) for level in levels],
            "competencies": list(item.competencies.all()),
        },
    )


@login_required
@require_POST
def form_retire(request: HttpRequest, pk: int) -> HttpResponse:
    item = form_managed_by(user=_user(request), pk=pk)
    if item is None or item.program_id is None:
        raise Http404
    assessment_form_retire(form=item)
    messages.success(request, f"“{item.name}” is no longer offered for new observations.")
    return redirect("assessment-form-detail", item.pk)


# --- Rotation schedules and end-of-rotation evaluations ---------------------------------------

SCHEDULE_PAGE_SIZE = 50


def _scheduled_program(request: HttpRequest, program_id: int) -> Any:
    program = program_scheduled_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    return program


def _schedule_noun(request: HttpRequest) -> str:
    return {"define": "rotation", "import": "schedule import"}.get(
        request.POST.get("action", ""), "block"
    )


@login_required
@submit_once(_schedule_noun)
def rotation_schedule(request: HttpRequest, program_id: int) -> HttpResponse:
    """The program's rotations and block schedule; define a rotation, add a block, import CSV."""
    program = _scheduled_program(request, program_id)
    action = request.POST.get("action") if request.method == "POST" else None
    define = RotationDefineForm(request.POST if action == "define" else None, program_id=program.pk)
    block = ScheduledRotationForm(request.POST if action == "add" else None)
    upload = ScheduleUploadForm(
        request.POST if action == "import" else None,
        request.FILES if action == "import" else None,
    )
    errors: list[rotation_services.ScheduleError] = []
    try:
        if action == "define" and define.is_valid():
            data = define.cleaned_data
            rotation_services.rotation_create(
                program=program,
                name=data["name"],
                competency_ids=[c.pk for c in data["competencies"]],
                form_id=data["form"].pk if data["form"] else None,
                due_days=data["due_days"],
            )
            messages.success(request, f"Rotation '{data['name']}' defined.")
            return redirect("rotation-schedule", program_id=program.pk)
        if action == "add" and block.is_valid():
            rotation_services.scheduled_rotation_add(program=program, **block.cleaned_data)
            messages.success(request, "Block added to the schedule.")
            return redirect("rotation-schedule", program_id=program.pk)
        if action == "import" and upload.is_valid():
            file = upload.cleaned_data["file"]
            if file.size > rotation_services.SCHEDULE_MAX_BYTES:
                errors = [rotation_services.ScheduleError(0, "", "The file is larger than 2 MB.")]
            else:
                created = rotation_services.schedule_import(program=program, chunks=file.chunks())
                messages.success(request, f"Imported {len(created)} blocks.")
                return redirect("rotation-schedule", program_id=program.pk)
    except rotation_services.ScheduleImportError as error:
        errors = error.errors
    except ValidationError as error:
        target = define if action == "define" else block
        for field, problems in error.message_dict.items():
            target.add_error(field if field in target.fields else None, problems)
    page = Paginator(schedule_of(program=program), SCHEDULE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessments/rotations/schedule.html",
        {
            "program": program,
            "tab": "rotations",
            "rotations": rotations_of(program=program),
            "page": page,
            "define": define,
            "entry": block,
            "upload": upload,
            "errors": errors,
            "columns": rotation_services.SCHEDULE_COLUMNS,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def rotation_completion(request: HttpRequest, program_id: int) -> HttpResponse:
    """End-of-rotation evaluations: done and overdue by faculty and by rotation; nudges."""
    program = _scheduled_program(request, program_id)
    today = program.institution.local_today()
    return render(
        request,
        "assessments/rotations/completion.html",
        {
            "program": program,
            "tab": "evaluations",
            "completion": completion_of(program=program, today=today),
            "today": today,
            "shown": WAITING_SHOWN,
        },
    )


@login_required
@require_POST
def rotation_nudge(request: HttpRequest, program_id: int) -> HttpResponse:
    """Remind the supervisor of one waiting evaluation (`block`) of the program, now."""
    raw = request.POST.get("block", "")
    block = block_scheduled_by(user=_user(request), pk=int(raw)) if raw.isdigit() else None
    if block is None or block.rotation.program_id != program_id:
        raise Http404
    try:
        rotation_services.rotation_evaluation_nudge(block=block, by=_user(request))
    except rotation_services.NudgeRefusedError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{block.supervisor.name} was reminded.")
    return redirect("rotation-completion", program_id=program_id)


def _block_of(request: HttpRequest, program_id: int, pk: int) -> Any:
    block = block_scheduled_by(user=_user(request), pk=pk)
    if block is None or block.rotation.program_id != program_id:
        raise Http404
    return block


@login_required
def rotation_block_edit(request: HttpRequest, program_id: int, pk: int) -> HttpResponse:
    """Change a block of the schedule while its evaluation has not been asked for."""
    block = _block_of(request, program_id, pk)
    initial = {
        "learner_email": block.learner.email,
        "rotation_name": block.rotation.name,
        "site": block.site,
        "start_on": block.start_on,
        "end_on": block.end_on,
        "supervisor_email": block.supervisor.email,
    }
    form = ScheduledRotationForm(request.POST or None, initial=initial)
    locked = block.evaluation_state != ScheduledRotation.State.SCHEDULED
    if request.method == "POST" and form.is_valid():
        try:
            rotation_services.scheduled_rotation_update(block=block, **form.cleaned_data)
        except rotation_services.BlockLockedError as error:
            messages.error(request, str(error))
            return redirect("rotation-schedule", program_id=program_id)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(_BLOCK_FIELDS.get(field), problems)
        else:
            messages.success(request, "Block changed.")
            return redirect("rotation-schedule", program_id=program_id)
    return render(
        request,
        "assessments/rotations/block_edit.html",
        {
            "program": block.rotation.program,
            "tab": "rotations",
            # Not "block": inside a template block that name is the block itself.
            "scheduled": block,
            "form": form,
            "locked": locked,
        },
        status=400 if request.method == "POST" else 200,
    )


# The schedule's column names (as in its CSV) to the block form's fields.
_BLOCK_FIELDS = {
    "learner": "learner_email",
    "rotation": "rotation_name",
    "site": "site",
    "start": "start_on",
    "end": "end_on",
    "supervising_faculty": "supervisor_email",
}


@login_required
@require_POST
def rotation_block_delete(request: HttpRequest, program_id: int, pk: int) -> HttpResponse:
    block = _block_of(request, program_id, pk)
    try:
        rotation_services.scheduled_rotation_delete(block=block)
    except rotation_services.BlockLockedError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Block removed from the schedule.")
    return redirect("rotation-schedule", program_id=program_id)


# --- Assess me now ----------------------------------------------------------------------------


def qr_svg(url: str, title: str) -> str:
    """The URL as a QR code, an inline SVG (no script, no style: the page's CSS sizes it)."""
    return cast(
        str,
        segno.make(url, error="m").svg_inline(
            scale=1, omitsize=True, title=title, svgclass="qr-code", dark="#000", light="#fff"
        ),
    )


@login_required
@submit_once("assess-me-now code")
def assess_now_start(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    frameworks = list(observable_frameworks(learner=learner))
    form = AssessNowForm(
        request.POST or None,
        learner=learner,
        frameworks=frameworks,
        program_forms=list(program_forms_for_learner(learner=learner)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code, _ = assess_now_code_create(
                learner=learner,
                competency_ids=form.competency_ids(),
                setting=data["setting"],
                case_type=data["case_type"],
                form_id=data["form"],
                client_token=data["client_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("assess-now-show", code.pk)
    return render(
        request,
        "assessments/assess_now/start.html",
        {"form": form, "frameworks": frameworks, "minutes": code_minutes()},
    )


@login_required
def assess_now_show(request: HttpRequest, pk: int) -> HttpResponse:
    code = assess_now_code_of(learner=_user(request), pk=pk)
    if code is None:
        raise Http404
    url = request.build_absolute_uri(reverse("assess-now-scan", args=[code_token(code)]))
    usable = code.redeemed_at is None and not code.is_expired()
    return render(
        request,
        "assessments/assess_now/show.html",
        {
            "code": code,
            "url": url,
            "usable": usable,
            "qr": qr_svg(url, "QR code to observe me now") if usable else "",
            "competencies": list(code.competencies.all()),
        },
    )


def _assess_now_error(
    request: HttpRequest, error: AssessNowError, code: Any = None
) -> HttpResponse:
    status = {"expired": 410, "used": 409}.get(error.kind, 404)
    # The assessor who redeemed the code, scanning it again, is pointed back to their form.
    resume = ""
    request_id = getattr(code, "request_id", None)
    if error.kind == "used" and request_id and request.user.is_authenticated:
        mine = request_for_assessor(assessor=_user(request), pk=request_id)
        if mine is not None:
            resume = reverse("observation-request-complete", args=[mine.pk])
    return render(
        request,
        "assessments/assess_now/error.html",
        {"message": str(error), "resume": resume},
        status=status,
    )


def _scan_page(
    request: HttpRequest, code: Any, token: str, email_form: Any, sent: bool, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "assessments/assess_now/scan.html",
        {
            "code": code,
            "token": token,
            "email_form": email_form,
            "sent": sent,
            "login_url": f"{reverse('account_login')}?next={request.path}",
            "minutes": link_minutes(),
        },
        status=status,
    )


def assess_now_scan(request: HttpRequest, token: str) -> HttpResponse:
    """The URL in the QR code. Signed in, an assessor of the learner redeems the code by
    opening it and lands on the filled form; otherwise the page offers to sign in."""
    code = None
    try:
        code = code_from_token(token)
        if not request.user.is_authenticated:
            if code.redeemed_at is not None:
                raise AssessNowError("used", assess_now_services.USED)
            if code.is_expired():
                raise AssessNowError("expired", assess_now_services.EXPIRED)
            return _scan_page(request, code, token, AssessNowEmailForm(), sent=False)
        made = assess_now_redeem(code=code, assessor=_user(request))
    except AssessNowError as error:
        return _assess_now_error(request, error, code)
    except ValidationError as error:
        return render(
            request,
            "assessments/assess_now/error.html",
            {"message": " ".join(error.messages)},
            status=403,
        )
    messages.success(request, f"Observing {made.learner.name} now.")
    return redirect("observation-request-complete", made.pk)


@require_POST
def assess_now_email(request: HttpRequest, token: str) -> HttpResponse:
    """Someone on the faculty list, not signed in on this phone, asks for a one-time link."""
    form = AssessNowEmailForm(request.POST)
    try:
        code = code_from_token(token)
        if not form.is_valid():
            return _scan_page(request, code, token, form, sent=False, status=400)
        assess_now_link_request(code=code, email=form.cleaned_data["email"])
    except AssessNowError as error:
        return _assess_now_error(request, error)
    except ValidationError as error:
        apply_errors(form, error)
        return _scan_page(request, code, token, form, sent=False, status=400)
    return _scan_page(request, code, token, AssessNowEmailForm(), sent=True)


def assess_now_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed one-time link. Opening it shows a button (mail scanners that open links
    must not spend it); pressing it signs the person in and redeems the code."""
    try:
        link = link_from_token(token)
        if request.method == "POST":
            made = assess_now_link_use(link=link)
            login(request, link.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Signed in. Observing {made.learner.name} now.")
            return redirect("observation-request-complete", made.pk)
        if link.used_at is not None:
            raise AssessNowError("used", assess_now_services.LINK_USED)
        if timezone.now() >= link.expires_at:
            raise AssessNowError("expired", assess_now_services.LINK_EXPIRED)
    except AssessNowError as error:
        return _assess_now_error(request, error)
    except ValidationError as error:
        return render(
            request,
            "assessments/assess_now/error.html",
            {"message": " ".join(error.messages)},
            status=403,
        )
    return render(request, "assessments/assess_now/link.html", {"link": link})


# --- Multi-source feedback --------------------------------------------------------------------


@login_required
@submit_once("feedback request")
def feedback_home(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = FeedbackAskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made, created = feedback_request_create(
                learner=learner,
                by=learner,
                rater_type=data["rater_type"],
                rater_name=data["rater_name"],
                rater_email=data["rater_email"],
                anonymous=data["anonymous"],
                client_token=data["client_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                messages.success(request, "Feedback link made.")
            return redirect("feedback-link", made.pk)
    page = Paginator(feedback_requests_of(learner=learner), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessments/feedback/home.html",
        {
            "form": form,
            "page": page,
            "summary": feedback_summary_for(learner=learner),
            "min_group": MIN_GROUP,
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def feedback_link(request: HttpRequest, pk: int) -> HttpResponse:
    item = feedback_request_of(learner=_user(request), pk=pk)
    if item is None:
        raise Http404
    url = request.build_absolute_uri(reverse("feedback-respond", args=[feedback_token(item)]))
    usable = item.responded_at is None and timezone.now() < item.expires_at
    return render(
        request,
        "assessments/feedback/link.html",
        {
            "item": item,
            "url": url,
            "usable": usable,
            "qr": qr_svg(url, "QR code of the feedback link") if usable else "",
        },
    )


def feedback_respond_view(request: HttpRequest, token: str) -> HttpResponse:
    """The rater's page: no account, no sign-in. Works once."""
    errors: dict[str, list[str]] = {}
    try:
        item = feedback_request_from_token(token)
        check_link_open(item)
        spec = form_for_rater(item.rater_type)
        if request.method == "POST":
            try:
                feedback_respond(
                    request=item,
                    ratings={
                        code: request.POST.get(f"rating-{code}", "") for code, _ in spec.items
                    },
                    comment=request.POST.get("comment", ""),
                )
            except ValidationError as error:
                errors = error.message_dict
            else:
                return render(request, "assessments/feedback/thanks.html", {"item": item})
    except FeedbackLinkError as error:
        status = {"expired": 410, "used": 409}.get(error.kind, 404)
        return render(
            request, "assessments/feedback/closed.html", {"message": str(error)}, status=status
        )
    posted = request.POST if request.method == "POST" else {}
    items = [
        {"code": code, "text": text, "chosen": str(posted.get(f"rating-{code}", ""))}
        for code, text in spec.items
    ]
    return render(
        request,
        "assessments/feedback/respond.html",
        {
            "item": item,
            "spec": spec,
            "items": items,
            "errors": errors,
            "comment": posted.get("comment", ""),
        },
        status=400 if errors else 200,
    )


@login_required
@submit_once("feedback request")
def feedback_program(request: HttpRequest, program_id: int) -> HttpResponse:
    """A director or coordinator asks raters about the program's learners; the answers go to
    the learner alone (the page lists only the links this person made)."""
    asker = _user(request)
    program = programs_managed_by(user=asker).filter(pk=program_id).first()
    if program is None:
        raise Http404
    form = FeedbackProgramAskForm(request.POST or None, learners=program_learners(program=program))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, created = feedback_request_create(
                learner=data["learner"],
                by=asker,
                rater_type=data["rater_type"],
                rater_name=data["rater_name"],
                rater_email=data["rater_email"],
                anonymous=data["anonymous"],
                program_id=program.pk,
                client_token=data["client_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if created:
                messages.success(request, f"Feedback link made for {data['learner'].name}.")
            return redirect("feedback-program", program.pk)
    page = Paginator(feedback_requests_made_by(asker=asker, program=program), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = [
        {
            "item": item,
            "url": request.build_absolute_uri(
                reverse("feedback-respond", args=[feedback_token(item)])
            )
            if item.responded_at is None and now < item.expires_at
            else "",
        }
        for item in page
    ]
    return render(
        request,
        "assessments/feedback/program.html",
        {"program": program, "form": form, "page": page, "rows": rows, "now": now},
        status=400 if form.errors else 200,
    )


# --- Teaching evaluations -------------------------------------------------------------------


@login_required
def teaching_evaluations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assessments/evaluations/list.html",
        {"items": evaluable_by(learner=_user(request)), "min": MIN_EVALUATIONS},
    )


@login_required
@submit_once("evaluation")
def teaching_evaluation_create(request: HttpRequest, subject: str, pk: int) -> HttpResponse:
    if subject not in ("teacher", "rotation"):
        raise Http404
    learner = _user(request)
    target = next(
        (e for e in evaluable_by(learner=learner) if e.subject == subject and e.pk == pk), None
    )
    if target is None:
        raise Http404
    spec = TEACHER_FORM if subject == "teacher" else ROTATION_FORM
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        ratings = {code: request.POST.get(f"rating-{code}", "") for code, _ in spec.items}
        comment = request.POST.get("comment", "")
        try:
            if subject == "teacher":
                teacher_evaluation_create(
                    author=learner, teacher_id=pk, ratings=ratings, comment=comment
                )
            else:
                rotation_evaluation_create(
                    author=learner, rotation_id=pk, ratings=ratings, comment=comment
                )
        except ValidationError as error:
            errors = error.message_dict
        except EvaluationConflictError as error:
            messages.error(request, str(error))
            return redirect("teaching-evaluations")
        else:
            messages.success(request, f"Thank you: your evaluation of {target.name} is in.")
            return redirect("teaching-evaluations")
    posted = request.POST if request.method == "POST" else {}
    items = [
        {"code": code, "text": text, "chosen": str(posted.get(f"rating-{code}", ""))}
        for code, text in spec.items
    ]
    return render(
        request,
        "assessments/evaluations/form.html",
        {
            "target": target,
            "spec": spec,
            "items": items,
            "errors": errors,
            "comment": posted.get("comment", ""),
            "min": MIN_EVALUATIONS,
        },
        status=400 if errors else 200,
    )


@login_required
def teaching_results(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assessments/evaluations/results.html",
        {"results": teaching_results_for(teacher=_user(request)), "min": MIN_EVALUATIONS},
    )


@login_required
def teaching_program_results(request: HttpRequest, program_id: int) -> HttpResponse:
    program = program_directed_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    return render(
        request,
        "assessments/evaluations/program_results.html",
        {
            "program": program,
            "results": program_teaching_results(program=program),
            "min": MIN_EVALUATIONS,
        },
    )

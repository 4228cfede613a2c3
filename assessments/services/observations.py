"""Writes for assessments by others: observation requests, observations, corrections and
amendments, the learner's acknowledgement and response, and reminders.

The rules every function enforces before it writes anything (otherwise nothing is written):

- a request goes to someone who holds an assessor role (faculty, director, committee) in a
  program where the learner is currently enrolled, for ratable competencies of one framework
  of that program;
- an assessor rates only learners currently enrolled in a program where they assess, on the
  scale of the form used (a shipped form or the program's own; by default the shipped form of
  the framework's kind, on the framework's own scale); answers go only to the form's optional
  prompts;
- only an open request can be completed or declined (a completed or declined one is a 409);
- a submission carries a key: sending it again (double tap, network retry) returns the first
  record instead of making a second one;
- narrative fields have length limits; generic feedback earns a hint, never a block;
- an assessment is a record: its author may correct it within 24 hours, and after that only
  amend it with a reason. Every state is kept as an AssessmentVersion.

Notifications go through `notifications.services.notification_send` inside the transaction; the
email leaves after commit (docs/coaching.md).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    AssessmentResponse,
    AssessmentVersion,
    ObservationSetting,
)
from assessments.selectors.forms import forms_available, shipped_form_for
from assessments.selectors.observations import (
    assessor_programs_for_learner,
    ratable_competencies_in,
)
from assessments.summaries.monthly import assessor_summaries_refresh
from assessments.summaries.programs import NewAssessment
from frameworks.models import Competency, Framework, RatingScale
from notifications.services import notification_send
from programs.models import Institution

if TYPE_CHECKING:
    from programs.models import Program

NARRATIVE_MAX = 2000
RESPONSE_MAX = 2000
REASON_MAX = 1000
REQUEST_NOTE_MAX = 500
DECLINE_REASON_MAX = 500
CASE_TYPE_MAX = 120
MAX_COMPETENCIES_PER_OBSERVATION = 6
CORRECTION_WINDOW = dt.timedelta(hours=24)
# How far back an observation may be dated: a year covers late write-ups, not archaeology.
MAX_BACKDATE = dt.timedelta(days=365)


class ObservationConflictError(Exception):
    """The request is no longer open (completed or declined): the API answers 409."""


@dataclass(frozen=True)
class RatingInput:
    """One level given in an observation: a competency and a level on its framework's scale."""

    competency_id: int
    level: Decimal | str


@dataclass(frozen=True)
class ObservationResult:
    assessments: list[Assessment]
    created: bool


# --- Hints against generic feedback (shown, never enforced) -------------------------------

# Phrases that, on their own, tell the learner nothing they can act on. Kept short and
# lower-case; a narrative that is little more than one of these earns a hint.
STOCK_PHRASES = (
    "good job",
    "great job",
    "nice job",
    "well done",
    "good work",
    "great work",
    "nice work",
    "keep it up",
    "keep up the good work",
    "doing great",
    "doing well",
    "excellent",
    "very good",
    "good",
    "great",
    "fine",
    "ok",
    "okay",
    "no concerns",
    "nothing",
    "none",
    "n/a",
    "na",
    "read more",
    "keep reading",
    "more reading",
    "continue reading",
    "more practice",
    "keep practicing",
    "keep practising",
    "continue",
    "continue as is",
    "as above",
)
SHORT_NARRATIVE_WORDS = 5

HINTS = {
    "empty_went_well": "One sentence about a moment you saw helps the learner keep doing it.",
    "empty_next_step": "One concrete thing to try next time is the most useful line you can give.",
    "short": "Short and general: name what you saw (an action, a phrase, a choice) and its effect.",
    "stock_went_well": "Kind but general: which specific thing did they do well?",
    "stock_next_step": "General advice is hard to act on: what exactly should they try next time?",
}


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z/ ]+", "", re.sub(r"\s+", " ", text.lower())).strip()


def narrative_hints(*, went_well: str, next_step: str) -> dict[str, list[str]]:
    """Gentle prompts per field for empty, very short or stock feedback. Never an error."""
    hints: dict[str, list[str]] = {}
    for field, text in (("went_well", went_well), ("next_step", next_step)):
        cleaned = _normalise(text)
        if not cleaned:
            hints[field] = [HINTS[f"empty_{field}"]]
        elif cleaned in STOCK_PHRASES or cleaned.rstrip("s") in STOCK_PHRASES:
            hints[field] = [HINTS[f"stock_{field}"]]
        elif len(cleaned.split()) < SHORT_NARRATIVE_WORDS:
            hints[field] = [HINTS["short"]]
    return hints


# --- Validation helpers ---------------------------------------------------------------------


def _parse_level(raw: Decimal | str | float | int | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        level = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return level if level.is_finite() else None


def _check_length(errors: dict[str, list[str]], field: str, text: str, limit: int) -> None:
    if len(text) > limit:
        errors.setdefault(field, []).append(
            f"Keep this under {limit} characters (it has {len(text)})."
        )


def _check_date(
    errors: dict[str, list[str]], field: str, day: dt.date | None, today: dt.date
) -> None:
    if day is None:
        return
    if day > today:
        errors.setdefault(field, []).append("An observation cannot be dated in the future.")
    elif today - day > MAX_BACKDATE:
        errors.setdefault(field, []).append("Date it within the last year.")


def _parse_token(raw: uuid.UUID | str | None, field: str) -> uuid.UUID | None:
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as error:
        raise ValidationError({field: ["Send a UUID."]}) from error


def _choose_competencies(
    *, program_frameworks: Iterable[Framework], competency_ids: Sequence[int]
) -> tuple[Framework, list[Competency]]:
    """The competencies asked for, all ratable and of one framework the program uses."""
    ids = [int(pk) for pk in competency_ids]
    if not ids:
        raise ValidationError({"competencies": ["Choose an EPA or at least one sub-competency."]})
    if len(set(ids)) != len(ids):
        raise ValidationError({"competencies": ["Each competency may appear only once."]})
    if len(ids) > MAX_COMPETENCIES_PER_OBSERVATION:
        raise ValidationError(
            {
                "competencies": [
                    f"Choose at most {MAX_COMPETENCIES_PER_OBSERVATION}: one observation, "
                    "a few things."
                ]
            }
        )
    framework_ids = [f.pk for f in program_frameworks]
    found = {c.pk: c for c in ratable_competencies_in(framework_ids=framework_ids, ids=ids)}
    if len(found) != len(ids):
        raise ValidationError(
            {
                "competencies": [
                    "Choose ratable items (EPAs or sub-competencies) from a framework of the "
                    "program."
                ]
            }
        )
    competencies = [found[pk] for pk in ids]
    frameworks = {c.framework_id for c in competencies}
    if len(frameworks) != 1:
        raise ValidationError({"competencies": ["Choose items from one framework."]})
    framework = competencies[0].framework
    if framework.kind == Framework.Kind.EPA and len(competencies) != 1:
        raise ValidationError({"competencies": ["Ask about one EPA per observation."]})
    return framework, competencies


def _validate_ratings(
    *, ratings: Sequence[RatingInput], allowed: list[Competency], scale: RatingScale
) -> dict[int, Decimal]:
    """Levels per competency id, each on the form's scale; at least one."""
    errors: dict[str, list[str]] = {}
    allowed_ids = {c.pk for c in allowed}
    values = scale.allowed_values()
    levels: dict[int, Decimal] = {}
    for rating in ratings:
        competency_id = int(rating.competency_id)
        if competency_id not in allowed_ids:
            errors.setdefault("ratings", []).append("Rate only what this observation is about.")
            continue
        if competency_id in levels:
            errors.setdefault("ratings", []).append("Rate each item once.")
            continue
        level = _parse_level(rating.level)
        if level is None or level not in values:
            shown = ", ".join(f"{v.normalize():f}" for v in sorted(values))
            errors.setdefault("ratings", []).append(
                f"Level {rating.level} is not on the {scale.name} scale ({shown})."
            )
            continue
        levels[competency_id] = level
    if not levels and not errors:
        errors["ratings"] = ["Choose a level."]
    if errors:
        raise ValidationError(errors)
    return levels


def form_scale(form: AssessmentForm, framework: Framework) -> RatingScale:
    """The scale a rating on `form` of an item of `framework` is on."""
    return form.scale if form.scale is not None else framework.scale


def _choose_form(
    *,
    form_id: int | None,
    program: Program,
    framework: Framework,
    competencies: Sequence[Competency],
) -> AssessmentForm:
    """The form asked for (by default the shipped one of the framework's kind): offered in the
    program, rating this kind of item, and covering the chosen items if it names some."""
    if form_id is None:
        return shipped_form_for(framework=framework)
    form = forms_available(program_id=program.pk).filter(pk=int(form_id)).first()
    if form is None:
        raise ValidationError({"form": ["Choose a form offered in the learner's program."]})
    rates_epa = form.rates == AssessmentForm.Rates.EPA
    if rates_epa != (framework.kind == Framework.Kind.EPA):
        raise ValidationError({"form": [f"This form rates {form.get_rates_display().lower()}."]})
    named = {c.pk for c in form.competencies.all()}
    if named and not {c.pk for c in competencies} <= named:
        raise ValidationError({"form": ["This form is for other items; choose from its list."]})
    return form


def _check_answers(
    form: AssessmentForm, answers: Mapping[str, str] | None, errors: dict[str, list[str]]
) -> dict[str, str]:
    """Answers to the form's optional prompts, keyed by the prompt's text; empty ones dropped."""
    result: dict[str, str] = {}
    for prompt, text in (answers or {}).items():
        if prompt not in form.optional_prompts:
            errors.setdefault("answers", []).append(f"“{prompt}” is not a question of this form.")
            continue
        text = str(text).strip()
        if len(text) > NARRATIVE_MAX:
            errors.setdefault("answers", []).append(
                f"“{prompt}”: at most {NARRATIVE_MAX:,} characters."
            )
        elif text:
            result[prompt] = text
    return result


def _context_text(setting: str, case_type: str) -> str:
    parts = []
    if setting:
        parts.append(ObservationSetting(setting).label)
    if case_type.strip():
        parts.append(case_type.strip())
    return " · ".join(parts)[:300]


def _notify(
    *, recipient: User, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str = ""
) -> None:
    notification_send(
        recipient=recipient, kind=kind, title=title, body=body, url=url, dedupe_key=dedupe_key
    )


def _what(competencies: Sequence[Competency]) -> str:
    return ", ".join(c.code for c in competencies)


# --- Requests ---------------------------------------------------------------------------------


def observation_request_create(
    *,
    learner: User,
    assessor_id: int,
    competency_ids: Sequence[int],
    setting: str = "",
    case_type: str = "",
    encounter_on: dt.date | None = None,
    due_on: dt.date | None = None,
    note: str = "",
    client_token: uuid.UUID | str | None = None,
    form_id: int | None = None,
) -> tuple[AssessmentRequest, bool]:
    """A learner asks an assessor of their program to observe them; the assessor is told.

    Idempotent on `client_token` (per learner): the same token returns the first request.
    """
    token = _parse_token(client_token, "client_token")
    if token is not None:
        existing = AssessmentRequest.objects.filter(learner=learner, client_token=token).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if setting and setting not in ObservationSetting.values:
        errors["setting"] = ["Choose one of the listed settings."]
    _check_length(errors, "case_type", case_type, CASE_TYPE_MAX)
    _check_length(errors, "note", note, REQUEST_NOTE_MAX)
    _check_date(errors, "encounter_on", encounter_on, today)
    if due_on is not None and due_on < today:
        errors["due_on"] = ["A due date cannot be in the past."]
    if int(assessor_id) == learner.pk:
        errors["assessor"] = ["Ask someone else to observe you."]
    programs: list[Program] = []
    if "assessor" not in errors:
        programs = assessor_programs_for_learner(learner=learner, assessor_id=int(assessor_id))
        if not programs:
            errors["assessor"] = ["Choose an assessor of a program you are enrolled in."]
    if errors:
        raise ValidationError(errors)
    # The newest shared program whose frameworks hold the chosen items decides the program.
    program: Program | None = None
    framework: Framework | None = None
    competencies: list[Competency] = []
    last_error: ValidationError | None = None
    for candidate in programs:
        try:
            framework, competencies = _choose_competencies(
                program_frameworks=candidate.frameworks.all(), competency_ids=competency_ids
            )
        except ValidationError as error:
            last_error = error
            continue
        program = candidate
        break
    if program is None or framework is None:
        assert last_error is not None
        raise last_error
    form = _choose_form(
        form_id=form_id, program=program, framework=framework, competencies=competencies
    )
    assessor = User.objects.get(pk=int(assessor_id))
    try:
        with transaction.atomic():
            request = AssessmentRequest.objects.create(
                learner=learner,
                assessor=assessor,
                program=program,
                framework=framework,
                form=form,
                setting=setting,
                case_type=case_type.strip(),
                encounter_on=encounter_on,
                due_on=due_on,
                note=note.strip(),
                client_token=token,
            )
            request.competencies.set(competencies)
            _notify(
                recipient=assessor,
                kind="observation_request",
                title=f"{learner.name} asks you to observe {_what(competencies)}",
                body=_request_body(request, competencies),
                url=reverse("observation-request-complete", args=[request.pk]),
                dedupe_key=f"observation-request:{request.pk}:created",
            )
    except IntegrityError:
        # The same token raced in from a second tap; the first one won.
        existing = AssessmentRequest.objects.filter(learner=learner, client_token=token).first()
        if existing is None:
            raise
        return existing, False
    return request, True


def _request_body(request: AssessmentRequest, competencies: Sequence[Competency]) -> str:
    lines = [f"{c.code} {c.title}" for c in competencies]
    context = _context_text(request.setting, request.case_type)
    if context:
        lines.append(f"Context: {context}")
    if request.encounter_on:
        lines.append(f"Date: {request.encounter_on:%d %b %Y}")
    if request.due_on:
        lines.append(f"Please answer by {request.due_on:%d %b %Y}.")
    if request.note:
        lines.append(f"Note: {request.note}")
    return "\n".join(lines)


def _close_request(request: AssessmentRequest, status: str, **fields: object) -> None:
    """Move an open request to `status`; a request that is no longer open is a conflict.

    The conditional UPDATE is the lock: of two racing submissions only one changes the row.
    """
    now = timezone.now()
    changed = AssessmentRequest.objects.filter(
        pk=request.pk, status=AssessmentRequest.Status.OPEN
    ).update(status=status, closed_at=now, updated_at=now, **fields)
    if changed != 1:
        current = AssessmentRequest.objects.filter(pk=request.pk).values_list("status", flat=True)
        label = dict(AssessmentRequest.Status.choices).get(current.first() or "", "closed")
        raise ObservationConflictError(f"This request is already {label.lower()}.")
    request.refresh_from_db()


def observation_request_decline(
    *, request: AssessmentRequest, assessor: User, reason: str
) -> AssessmentRequest:
    """The assessor declines an open request, with a reason the learner sees."""
    if request.assessor_id != assessor.pk:
        raise PermissionDenied
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Say why, so the learner can ask someone else."]
    _check_length(errors, "reason", reason, DECLINE_REASON_MAX)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _close_request(request, AssessmentRequest.Status.DECLINED, decline_reason=reason)
        _notify(
            recipient=request.learner,
            kind="observation_request",
            title=f"{assessor.name} cannot observe you this time",
            body=reason,
            url=reverse("observation-request-detail", args=[request.pk]),
            dedupe_key=f"observation-request:{request.pk}:declined",
        )
    return request


# --- Observations (assessments) ----------------------------------------------------------------


def _existing_submission(assessor: User, key: uuid.UUID) -> list[Assessment]:
    return list(
        Assessment.objects.filter(assessor=assessor, submission_key=key)
        .select_related("competency")
        .order_by("id")
    )


def _create_assessments(
    *,
    assessor: User,
    learner: User,
    program: Program,
    request: AssessmentRequest | None,
    form: AssessmentForm,
    scale: RatingScale,
    levels: dict[int, Decimal],
    answers: dict[str, str],
    competencies: Sequence[Competency],
    went_well: str,
    next_step: str,
    context: str,
    observed_on: dt.date,
    key: uuid.UUID,
) -> list[Assessment]:
    now = timezone.now()
    source = Assessment.Source.REQUEST if request is not None else Assessment.Source.OBSERVATION
    rows = [
        Assessment(
            assessor=assessor,
            learner=learner,
            competency=competency,
            level=levels[competency.pk],
            form=form,
            scale=scale,
            counted_level=form.counted_level(levels[competency.pk]),
            answers=answers,
            went_well=went_well,
            next_step=next_step,
            context=context,
            observed_on=observed_on,
            source=source,
            program=program,
            request=request,
            submission_key=key,
            version=1,
            updated_at=now,
        )
        for competency in competencies
        if competency.pk in levels
    ]
    for row in rows:
        row.save(force_insert=True)  # one by one: SQLite's bulk_create returns no ids
    assessor_summaries_refresh(
        learner_id=learner.pk,
        competency_ids=[row.competency_id for row in rows],
        days=[observed_on],
        added=[
            NewAssessment(row.pk, row.competency_id, observed_on, row.counted_level) for row in rows
        ],
    )
    AssessmentVersion.objects.bulk_create(
        AssessmentVersion(
            assessment=row,
            version=1,
            kind=AssessmentVersion.Kind.ORIGINAL,
            level=row.level,
            went_well=row.went_well,
            next_step=row.next_step,
            context=row.context,
            observed_on=row.observed_on,
            recorded_by=assessor,
            recorded_at=now,
        )
        for row in rows
    )
    return rows


def _narrative_errors(went_well: str, next_step: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    _check_length(errors, "went_well", went_well, NARRATIVE_MAX)
    _check_length(errors, "next_step", next_step, NARRATIVE_MAX)
    return errors


def observation_request_complete(
    *,
    request: AssessmentRequest,
    assessor: User,
    ratings: Sequence[RatingInput],
    went_well: str = "",
    next_step: str = "",
    observed_on: dt.date | None = None,
    submission_key: uuid.UUID | str,
    answers: Mapping[str, str] | None = None,
) -> ObservationResult:
    """The assessor answers a request: one Assessment per rated item, the request completed,
    the learner told. The same `submission_key` again returns the first answer."""
    if request.assessor_id != assessor.pk:
        raise PermissionDenied
    key = _parse_token(submission_key, "submission_key")
    if key is None:
        raise ValidationError({"submission_key": ["Send a UUID."]})
    existing = _existing_submission(assessor, key)
    if existing:
        return ObservationResult(existing, created=False)
    if request.status != AssessmentRequest.Status.OPEN:
        raise ObservationConflictError(f"This request is already {request.status}.")
    today = timezone.localdate()
    went_well, next_step = went_well.strip(), next_step.strip()
    errors = _narrative_errors(went_well, next_step)
    day = observed_on or request.encounter_on or today
    _check_date(errors, "observed_on", day, today)
    competencies = list(request.competencies.select_related("framework").order_by("order", "id"))
    framework = request.framework
    form = request.form
    scale = form_scale(form, framework)
    kept_answers = _check_answers(form, answers, errors)
    try:
        levels = _validate_ratings(ratings=ratings, allowed=competencies, scale=scale)
    except ValidationError as error:
        errors.update(error.message_dict)
        levels = {}
    if errors:
        raise ValidationError(errors)
    # Still someone who may rate this learner here (a role could have ended since the ask).
    if not assessor_programs_for_learner(
        learner=request.learner, assessor_id=assessor.pk, program_ids=[request.program_id]
    ):
        raise ValidationError(
            {"learner": ["You no longer assess in a program where this learner is enrolled."]}
        )
    try:
        with transaction.atomic():
            _close_request(request, AssessmentRequest.Status.COMPLETED)
            rows = _create_assessments(
                assessor=assessor,
                learner=request.learner,
                program=request.program,
                request=request,
                form=form,
                scale=scale,
                levels=levels,
                answers=kept_answers,
                competencies=competencies,
                went_well=went_well,
                next_step=next_step,
                context=_context_text(request.setting, request.case_type),
                observed_on=day,
                key=key,
            )
            _notify_learner_of_observation(assessor, request.learner, rows)
    except (IntegrityError, ObservationConflictError):
        # A retry of the same submission raced us and won: hand back what it recorded.
        existing = _existing_submission(assessor, key)
        if existing:
            return ObservationResult(existing, created=False)
        raise
    return ObservationResult(rows, created=True)


def _notify_learner_of_observation(
    assessor: User, learner: User, rows: Sequence[Assessment]
) -> None:
    if not rows:
        return
    first = rows[0]
    _notify(
        recipient=learner,
        kind="assessment",
        title=(
            f"{assessor.name} recorded an observation of you "
            f"({_what([r.competency for r in rows])})"
        ),
        body="Open it to read the feedback and add your response.",
        url=reverse("assessment-detail", args=[first.pk]),
        dedupe_key=f"assessment:{first.submission_key}:created",
    )


def observation_record(
    *,
    assessor: User,
    learner_id: int,
    ratings: Sequence[RatingInput],
    went_well: str = "",
    next_step: str = "",
    setting: str = "",
    case_type: str = "",
    observed_on: dt.date | None = None,
    submission_key: uuid.UUID | str,
    form_id: int | None = None,
    answers: Mapping[str, str] | None = None,
) -> ObservationResult:
    """An assessor records an observation nobody asked for, of a learner in a program where
    they assess; the learner is told. Idempotent on `submission_key`."""
    key = _parse_token(submission_key, "submission_key")
    if key is None:
        raise ValidationError({"submission_key": ["Send a UUID."]})
    existing = _existing_submission(assessor, key)
    if existing:
        return ObservationResult(existing, created=False)
    today = timezone.localdate()
    went_well, next_step = went_well.strip(), next_step.strip()
    errors = _narrative_errors(went_well, next_step)
    day = observed_on or today
    _check_date(errors, "observed_on", day, today)
    if setting and setting not in ObservationSetting.values:
        errors["setting"] = ["Choose one of the listed settings."]
    _check_length(errors, "case_type", case_type, CASE_TYPE_MAX)
    programs = (
        []
        if int(learner_id) == assessor.pk
        else assessor_programs_for_learner(learner_id=int(learner_id), assessor_id=assessor.pk)
    )
    if not programs:
        errors["learner"] = ["You can rate only learners of a program where you assess."]
    if errors:
        raise ValidationError(errors)
    requested = [int(r.competency_id) for r in ratings]
    program: Program | None = None
    framework: Framework | None = None
    competencies: list[Competency] = []
    last_error: ValidationError | None = None
    for candidate in programs:
        try:
            framework, competencies = _choose_competencies(
                program_frameworks=candidate.frameworks.all(),
                competency_ids=list(dict.fromkeys(requested)),
            )
        except ValidationError as error:
            last_error = error
            continue
        program = candidate
        break
    if program is None or framework is None:
        assert last_error is not None
        raise ValidationError({"ratings": last_error.messages})
    form = _choose_form(
        form_id=form_id, program=program, framework=framework, competencies=competencies
    )
    scale = form_scale(form, framework)
    answer_errors: dict[str, list[str]] = {}
    kept_answers = _check_answers(form, answers, answer_errors)
    try:
        levels = _validate_ratings(ratings=ratings, allowed=competencies, scale=scale)
    except ValidationError as error:
        answer_errors.update(error.message_dict)
    if answer_errors:
        raise ValidationError(answer_errors)
    learner = User.objects.get(pk=int(learner_id))
    try:
        with transaction.atomic():
            rows = _create_assessments(
                assessor=assessor,
                learner=learner,
                program=program,
                request=None,
                form=form,
                scale=scale,
                levels=levels,
                answers=kept_answers,
                competencies=competencies,
                went_well=went_well,
                next_step=next_step,
                context=_context_text(setting, case_type),
                observed_on=day,
                key=key,
            )
            _notify_learner_of_observation(assessor, learner, rows)
    except IntegrityError:
        existing = _existing_submission(assessor, key)
        if existing:
            return ObservationResult(existing, created=False)
        raise
    return ObservationResult(rows, created=True)


# --- Corrections and amendments ----------------------------------------------------------------


def assessment_is_correctable(assessment: Assessment, now: dt.datetime | None = None) -> bool:
    """Within 24 hours of the first submission its author may still correct it."""
    return (now or timezone.now()) - assessment.created_at < CORRECTION_WINDOW


def assessment_revise(
    *,
    assessment: Assessment,
    author: User,
    level: Decimal | str | None = None,
    went_well: str | None = None,
    next_step: str | None = None,
    observed_on: dt.date | None = None,
    reason: str = "",
) -> AssessmentVersion:
    """The author changes an assessment: a correction within 24 hours of submitting it, an
    amendment (reason required, the learner told) after that. The earlier state stays as a
    version; the Assessment row shows the newest."""
    if assessment.assessor_id != author.pk:
        raise PermissionDenied
    now = timezone.now()
    kind = (
        AssessmentVersion.Kind.CORRECTION
        if assessment_is_correctable(assessment, now)
        else AssessmentVersion.Kind.AMENDMENT
    )
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    new_level = assessment.level
    if level is not None and str(level).strip() != "":
        parsed = _parse_level(level)
        scale = assessment.scale
        if parsed is None or not scale.allows(parsed):
            errors["level"] = [f"Level {level} is not on the {scale.name} scale."]
        else:
            new_level = parsed
    new_went_well = assessment.went_well if went_well is None else went_well.strip()
    new_next_step = assessment.next_step if next_step is None else next_step.strip()
    errors.update(_narrative_errors(new_went_well, new_next_step))
    new_day = observed_on or assessment.observed_on
    _check_date(errors, "observed_on", new_day, timezone.localdate())
    if kind == AssessmentVersion.Kind.AMENDMENT and not reason:
        errors["reason"] = [
            "More than 24 hours have passed: an amendment needs a reason, which the learner sees."
        ]
    _check_length(errors, "reason", reason, REASON_MAX)
    unchanged = (
        new_level == assessment.level
        and new_went_well == assessment.went_well
        and new_next_step == assessment.next_step
        and new_day == assessment.observed_on
    )
    if unchanged and not errors:
        errors["detail"] = ["Nothing changed."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Conditional on the version read: two concurrent edits cannot both become version n+1.
        changed = Assessment.objects.filter(pk=assessment.pk, version=assessment.version).update(
            level=new_level,
            counted_level=assessment.form.counted_level(new_level),
            went_well=new_went_well,
            next_step=new_next_step,
            observed_on=new_day,
            version=assessment.version + 1,
            updated_at=now,
        )
        if changed != 1:
            raise ObservationConflictError("Someone changed this assessment meanwhile; reload it.")
        assessor_summaries_refresh(
            learner_id=assessment.learner_id,
            competency_ids=[assessment.competency_id],
            days=[assessment.observed_on, new_day],
        )
        assessment.refresh_from_db()
        version = AssessmentVersion.objects.create(
            assessment=assessment,
            version=assessment.version,
            kind=kind,
            level=new_level,
            went_well=new_went_well,
            next_step=new_next_step,
            context=assessment.context,
            observed_on=new_day,
            reason=reason,
            recorded_by=author,
            recorded_at=now,
        )
        verb = "corrected" if kind == AssessmentVersion.Kind.CORRECTION else "amended"
        _notify(
            recipient=assessment.learner,
            kind="assessment",
            title=f"{author.name} {verb} an assessment of you ({assessment.competency.code})",
            body=reason,
            url=reverse("assessment-detail", args=[assessment.pk]),
            dedupe_key=f"assessment:{assessment.pk}:v{assessment.version}",
        )
    return version


# --- The learner's voice ---------------------------------------------------------------------


def assessment_acknowledge(*, assessment: Assessment, learner: User) -> Assessment:
    """The learner marks an assessment of them as read. Doing it again changes nothing."""
    if assessment.learner_id != learner.pk:
        raise PermissionDenied
    if assessment.acknowledged_at is None:
        now = timezone.now()
        Assessment.objects.filter(pk=assessment.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now
        )
        assessment.refresh_from_db(fields=["acknowledged_at"])
    return assessment


def assessment_respond(
    *,
    assessment: Assessment,
    learner: User,
    text: str,
    client_token: uuid.UUID | str | None = None,
) -> tuple[AssessmentResponse, bool]:
    """The learner adds a response or reflection to an assessment of them (which also
    acknowledges it); its author is told. Idempotent on `client_token`."""
    if assessment.learner_id != learner.pk:
        raise PermissionDenied
    token = _parse_token(client_token, "client_token")
    if token is not None:
        existing = AssessmentResponse.objects.filter(
            assessment=assessment, client_token=token
        ).first()
        if existing is not None:
            return existing, False
    text = text.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = ["Write a response, or use Acknowledge."]
    _check_length(errors, "text", text, RESPONSE_MAX)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            response = AssessmentResponse.objects.create(
                assessment=assessment, learner=learner, text=text, client_token=token
            )
            Assessment.objects.filter(pk=assessment.pk, acknowledged_at__isnull=True).update(
                acknowledged_at=response.created_at
            )
            if assessment.assessor is not None:
                _notify(
                    recipient=assessment.assessor,
                    kind="assessment",
                    title=(
                        f"{learner.name} responded to your assessment "
                        f"({assessment.competency.code})"
                    ),
                    body=text,
                    url=reverse("assessment-detail", args=[assessment.pk]),
                    dedupe_key=f"assessment-response:{response.pk}",
                )
    except IntegrityError:
        existing = AssessmentResponse.objects.filter(
            assessment=assessment, client_token=token
        ).first()
        if existing is None:
            raise
        return existing, False
    assessment.refresh_from_db(fields=["acknowledged_at"])
    return response, True


# --- Reminders ----------------------------------------------------------------------------------


def observation_requests_remind(*, today: dt.date | None = None) -> int:
    """Remind assessors of overdue open requests: at most one reminder per request per day,
    however often this runs (a conditional UPDATE claims the day; the notification's dedupe
    key makes a lost race harmless). Returns the number of reminders sent."""
    if today is None:
        # Each program's day is its institution's: a request falls overdue, and its daily
        # reminder falls due, at local midnight there.
        return sum(
            _remind_overdue(institution.local_today(), institution_id=institution.pk)
            for institution in Institution.objects.order_by("pk")
        )
    return _remind_overdue(today)


def _remind_overdue(today: dt.date, institution_id: int | None = None) -> int:
    sent = 0
    due = (
        AssessmentRequest.objects.overdue(today)
        .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
        .select_related("learner", "assessor")
        .prefetch_related("competencies")
        .order_by("id")
    )
    if institution_id is not None:
        due = due.filter(program__institution_id=institution_id)
    for request in due.iterator(chunk_size=200):
        with transaction.atomic():
            claimed = (
                AssessmentRequest.objects.filter(
                    pk=request.pk, status=AssessmentRequest.Status.OPEN
                )
                .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
                .update(last_reminded_on=today)
            )
            if not claimed:
                continue
            competencies = list(request.competencies.all())
            _notify(
                recipient=request.assessor,
                kind="observation_request",
                title=(
                    f"Reminder: {request.learner.name} is waiting for your observation "
                    f"({_what(competencies)})"
                ),
                body=_request_body(request, competencies)
                + f"\nAsked on {timezone.localdate(request.created_at):%d %b %Y}; "
                f"due {request.due_date:%d %b %Y}.",
                url=reverse("observation-request-complete", args=[request.pk]),
                dedupe_key=f"observation-request:{request.pk}:reminder:{today.isoformat()}",
            )
            sent += 1
    return sent

"""Multi-source feedback and learners' evaluations of their teachers and rotations.

Nurses, peers, other staff and patients answer a short form through a one-time link
(`FeedbackRequest`): no account, no sign-in, and nothing that identifies a patient. A link
works once (`responded_at` is claimed by a conditional UPDATE in the transaction that stores
the response) and closes `FEEDBACK_LINK_DAYS` after it was made (default 21).

Learners evaluate their teachers and rotations (`TeachingEvaluation`), once each. Who sees
what, and the anonymity thresholds, are in `assessments.selectors.feedback`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    FeedbackRequest,
    FeedbackResponse,
    RaterType,
    Rotation,
    TeachingEvaluation,
)
from assessments.selectors.observations import assessor_programs_for_learner
from assessments.services.observations import _parse_token
from notifications.delivery import email_subject, site_url
from programs.models import Enrollment, Program, ProgramRole

logger = logging.getLogger(__name__)

LINK_SALT = "assessments.feedback.link"
COMMENT_MAX = 1000
NAME_MAX = 120


@dataclass(frozen=True)
class FeedbackForm:
    """A short form: a few statements rated on one scale, and a free comment."""

    code: str
    title: str
    scale: tuple[tuple[int, str], ...]
    items: tuple[tuple[str, str], ...]
    comment_prompt: str

    def values(self) -> set[int]:
        return {value for value, _ in self.scale}


# Statements and labels in our own words.
FREQUENCY = ((1, "Rarely"), (2, "Sometimes"), (3, "Often"), (4, "Usually"), (5, "Always"))
COLLEAGUE_FORM = FeedbackForm(
    code="msf-colleague",
    title="Working with this learner",
    scale=FREQUENCY,
    items=(
        ("communication", "Keeps the team informed, clearly and in time"),
        ("respect", "Treats colleagues and patients with respect"),
        ("reliability", "Does what they said they would do, and asks for help when needed"),
        ("safety", "Checks, hands over and escalates so that patients stay safe"),
    ),
    comment_prompt="One thing this learner does well, and one thing to do differently",
)
PATIENT_FORM = FeedbackForm(
    code="msf-patient",
    title="Your visit with this doctor in training",
    scale=((1, "Not at all"), (2, "A little"), (3, "Mostly"), (4, "Completely")),
    items=(
        ("listened", "They listened to me"),
        ("explained", "They explained things in a way I understood"),
        ("respect", "They treated me with respect"),
        ("involved", "They involved me in decisions about my care"),
    ),
    comment_prompt="Anything else you would like them to know (please do not write names)",
)
TEACHER_FORM = FeedbackForm(
    code="teacher",
    title="Evaluate a teacher",
    scale=((1, "Poor"), (2, "Fair"), (3, "Good"), (4, "Very good"), (5, "Excellent")),
    items=(
        ("time", "Made time to teach"),
        ("feedback", "Gave feedback I could act on"),
        ("climate", "Made it safe to ask questions and to say I did not know"),
        ("supervision", "Supervised at the level I needed"),
    ),
    comment_prompt="What should this teacher keep doing, or change?",
)
ROTATION_FORM = FeedbackForm(
    code="rotation",
    title="Evaluate a rotation",
    scale=TEACHER_FORM.scale,
    items=(
        ("expectations", "What was expected of me was clear from the start"),
        ("supervision", "Supervision was there when I needed it"),
        ("learning", "The cases and tasks taught me what the rotation is for"),
        ("workload", "The workload left room to learn"),
    ),
    comment_prompt="What should the program keep, or change, in this rotation?",
)
FORMS = {f.code: f for f in (COLLEAGUE_FORM, PATIENT_FORM, TEACHER_FORM, ROTATION_FORM)}


def form_for_rater(rater_type: str) -> FeedbackForm:
    return PATIENT_FORM if rater_type == RaterType.PATIENT else COLLEAGUE_FORM


def link_days() -> int:
    return int(getattr(settings, "FEEDBACK_LINK_DAYS", 21))


def feedback_token(request: FeedbackRequest) -> str:
    return signing.Signer(salt=LINK_SALT).sign(str(request.pk))


class FeedbackLinkError(Exception):
    """A link that cannot be answered: `kind` is "expired", "used" or "invalid"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


LINK_INVALID = "This is not a valid feedback link."
LINK_USED = "This feedback link has already been used. Thank you: your answer was kept."
LINK_EXPIRED = "This feedback link has closed."


def feedback_request_from_token(token: str) -> FeedbackRequest:
    try:
        pk = int(signing.Signer(salt=LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as error:
        raise FeedbackLinkError("invalid", LINK_INVALID) from error
    found = FeedbackRequest.objects.select_related("learner").filter(pk=pk).first()
    if found is None:
        raise FeedbackLinkError("invalid", LINK_INVALID)
    return found


def check_link_open(request: FeedbackRequest, now: dt.datetime | None = None) -> None:
    if request.responded_at is not None:
        raise FeedbackLinkError("used", LINK_USED)
    if (now or timezone.now()) >= request.expires_at:
        raise FeedbackLinkError("expired", LINK_EXPIRED)


def _program_for(*, learner: User, by: User, program_id: int | None) -> Program:
    """The program the request belongs to: one the learner is in now, and, when staff ask,
    one where they are director or coordinator."""
    enrollments = Enrollment.objects.current().filter(learner=learner).select_related("program")
    if program_id is not None:
        enrollments = enrollments.filter(program_id=program_id)
    if by.pk != learner.pk:
        staff = ProgramRole.objects.filter(
            user=by, role__in=(ProgramRole.Role.DIRECTOR, ProgramRole.Role.COORDINATOR)
        ).values("program_id")
        enrollments = enrollments.filter(program_id__in=staff)
    enrollment = enrollments.order_by("-start_date", "-id").first()
    if enrollment is None:
        field = "learner" if by.pk != learner.pk else "program"
        raise ValidationError({field: ["Choose a learner enrolled in a program you run."]})
    return enrollment.program


def feedback_request_create(
    *,
    learner: User,
    by: User,
    rater_type: str,
    rater_name: str = "",
    rater_email: str = "",
    anonymous: bool = True,
    program_id: int | None = None,
    client_token: uuid.UUID | str | None = None,
) -> tuple[FeedbackRequest, bool]:
    """The learner, or a director or coordinator of their program, asks one rater for feedback.

    Patients' links are never addressed: no name, no email (the learner hands the link or its
    QR code over). A named (not anonymous) form needs the rater's name. With an email, the
    link is emailed after the commit. Idempotent on `client_token` (per asker)."""
    token = _parse_token(client_token, "client_token")
    if token is not None:
        existing = FeedbackRequest.objects.filter(asked_by=by, client_token=token).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    rater_name = (rater_name or "").strip()
    rater_email = (rater_email or "").strip()
    if rater_type not in RaterType.values:
        errors["rater_type"] = ["Choose nurse, peer, other staff or patient."]
    elif rater_type == RaterType.PATIENT:
        anonymous = True
        if rater_name or rater_email:
            errors["rater_type"] = [
                "Patients answer without a name or email: hand them the link instead."
            ]
    if len(rater_name) > NAME_MAX:
        errors["rater_name"] = [f"At most {NAME_MAX} characters."]
    if not anonymous and not rater_name and "rater_type" not in errors:
        errors["rater_name"] = ["A named form needs the rater's name."]
    if rater_email:
        try:
            validate_email(rater_email)
        except ValidationError:
            errors["rater_email"] = ["Enter a valid email address."]
    if errors:
        raise ValidationError(errors)
    program = _program_for(learner=learner, by=by, program_id=program_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            made = FeedbackRequest.objects.create(
                learner=learner,
                program=program,
                asked_by=by,
                rater_type=rater_type,
                anonymous=anonymous,
                rater_name=rater_name if not anonymous else "",
                rater_email=rater_email,
                client_token=token,
                created_at=now,
                expires_at=now + dt.timedelta(days=link_days()),
            )
            if rater_email:
                transaction.on_commit(lambda: _queue_email(made.pk))
    except IntegrityError:
        existing = FeedbackRequest.objects.filter(asked_by=by, client_token=token).first()
        if existing is None:
            raise
        return existing, False
    return made, True


def _queue_email(request_id: int) -> None:
    """Hand the email to the broker; never raises (the sweeper sends what it did not take)."""
    from assessments.tasks import feedback_email_send  # tasks import services

    try:
        feedback_email_send.apply_async((request_id,), retry=False)
    except Exception:
        logger.warning("could not queue feedback email %s; the sweeper will send it", request_id)


def feedback_email_deliver(*, request_id: int) -> bool:
    """Email an open feedback link to its rater, once. Returns whether this call sent it.

    Raters have no account, so this is a plain email rather than a notification (the
    notification outbox is per account); like the outbox, the row is claimed by a conditional
    UPDATE first, and a failed send is released for the sweeper."""
    now = timezone.now()
    claimed = FeedbackRequest.objects.filter(
        pk=request_id,
        email_sent_at__isnull=True,
        responded_at__isnull=True,
        expires_at__gt=now,
    ).exclude(rater_email="")
    if not claimed.update(email_sent_at=now):
        return False
    request = FeedbackRequest.objects.select_related("learner", "program").get(pk=request_id)
    link = site_url(reverse("feedback-respond", args=[feedback_token(request)]))
    context = {"request": request, "link": link, "days": link_days()}
    try:
        send_mail(
            subject=email_subject(f"{request.learner.name} asks for your feedback"),
            message=render_to_string("assessments/feedback/email.txt", context),
            from_email=None,
            recipient_list=[request.rater_email],
        )
    except Exception:
        FeedbackRequest.objects.filter(pk=request_id).update(email_sent_at=None)
        raise
    return True


def feedback_emails_unsent(*, older_than: dt.timedelta) -> list[int]:
    now = timezone.now()
    return list(
        FeedbackRequest.objects.filter(
            email_sent_at__isnull=True,
            responded_at__isnull=True,
            expires_at__gt=now,
            created_at__lt=now - older_than,
        )
        .exclude(rater_email="")
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )


def _check_ratings(
    form: FeedbackForm, ratings: Mapping[str, object], errors: dict[str, list[str]]
) -> dict[str, int]:
    """Every statement of the form rated once, each on the form's scale."""
    if not isinstance(ratings, Mapping):
        errors["ratings"] = ["Send the ratings as an object: statement → value."]
        return {}
    codes = [code for code, _ in form.items]
    unknown = sorted(set(map(str, ratings)) - set(codes))
    if unknown:
        errors.setdefault("ratings", []).append(
            f"This form does not ask about: {', '.join(unknown)}."
        )
    values = form.values()
    low, high = min(values), max(values)
    clean: dict[str, int] = {}
    for code in codes:
        raw = ratings.get(code)
        if raw in (None, ""):
            errors.setdefault("ratings", []).append(f"Rate every statement ({code} is missing).")
            continue
        try:
            value = int(str(raw))
        except ValueError:
            value = None
        if value is None or str(value) != str(raw).strip() or value not in values:
            errors.setdefault("ratings", []).append(
                f"{code}: {raw} is not on this form's scale ({low}–{high})."
            )
            continue
        clean[code] = value
    return clean


def _check_comment(comment: str, errors: dict[str, list[str]]) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"At most {COMMENT_MAX} characters."]
    return comment


def feedback_respond(
    *, request: FeedbackRequest, ratings: Mapping[str, object], comment: str = ""
) -> FeedbackResponse:
    """Store a rater's answers and spend the link, in one transaction. Refused with nothing
    written: a used or closed link (FeedbackLinkError), a rating off the form's scale or a
    statement missing or unknown (ValidationError)."""
    now = timezone.now()
    check_link_open(request, now)
    form = form_for_rater(request.rater_type)
    errors: dict[str, list[str]] = {}
    clean = _check_ratings(form, ratings, errors)
    comment = _check_comment(comment, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        claimed = FeedbackRequest.objects.filter(
            pk=request.pk, responded_at__isnull=True, expires_at__gt=now
        ).update(responded_at=now)
        if not claimed:
            raise FeedbackLinkError("used", LINK_USED)
        response = FeedbackResponse.objects.create(
            request=request,
            learner_id=request.learner_id,
            rater_type=request.rater_type,
            form_code=form.code,
            ratings=clean,
            comment=comment,
            created_at=now,
        )
    request.responded_at = now
    return response


# --- Learners evaluate their teachers and rotations ------------------------------------------


class EvaluationConflictError(Exception):
    """The learner has evaluated this teacher (in this program) or this rotation already."""


def teacher_evaluation_create(
    *, author: User, teacher_id: int, ratings: Mapping[str, object], comment: str = ""
) -> TeachingEvaluation:
    """A learner evaluates a teacher of a program they are enrolled in (someone who assesses
    there), once per program."""
    errors: dict[str, list[str]] = {}
    clean = _check_ratings(TEACHER_FORM, ratings, errors)
    comment = _check_comment(comment, errors)
    programs = assessor_programs_for_learner(learner=author, assessor_id=int(teacher_id))
    if not programs:
        errors["teacher"] = ["Choose a teacher of a program you are enrolled in."]
    if errors:
        raise ValidationError(errors)
    program = programs[0]
    try:
        with transaction.atomic():
            return TeachingEvaluation.objects.create(
                author=author,
                program=program,
                subject=TeachingEvaluation.Subject.TEACHER,
                teacher_id=int(teacher_id),
                ratings=clean,
                comment=comment,
            )
    except IntegrityError as error:
        raise EvaluationConflictError("You have evaluated this teacher already.") from error


def rotation_evaluation_create(
    *, author: User, rotation_id: int, ratings: Mapping[str, object], comment: str = ""
) -> TeachingEvaluation:
    """A learner evaluates a rotation they were scheduled on (a block that has started), once."""
    errors: dict[str, list[str]] = {}
    clean = _check_ratings(ROTATION_FORM, ratings, errors)
    comment = _check_comment(comment, errors)
    rotation = (
        Rotation.objects.filter(
            pk=int(rotation_id),
            blocks__learner=author,
            blocks__start_on__lte=timezone.localdate(),
        )
        .distinct()
        .first()
    )
    if rotation is None:
        errors["rotation"] = ["Choose a rotation you have been on."]
    if errors:
        raise ValidationError(errors)
    assert rotation is not None
    try:
        with transaction.atomic():
            return TeachingEvaluation.objects.create(
                author=author,
                program_id=rotation.program_id,
                subject=TeachingEvaluation.Subject.ROTATION,
                rotation=rotation,
                ratings=clean,
                comment=comment,
            )
    except IntegrityError as error:
        raise EvaluationConflictError("You have evaluated this rotation already.") from error


def feedback_rater_emails_clear(*, now: dt.datetime | None = None) -> int:
    """Blank the rater's email of links that were answered or have closed: it was kept only
    to send the link (retention, docs/privacy.md). Returns how many were blanked."""
    now = now or timezone.now()
    return (
        FeedbackRequest.objects.exclude(rater_email="")
        .filter(Q(responded_at__isnull=False) | Q(expires_at__lte=now))
        .update(rater_email="")
    )

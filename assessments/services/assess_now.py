"""Assess me now: a learner shows a QR code; the assessor beside them scans it and lands on
the observation form, filled in with the learner, the items, the form and the context.

A code names what is to be observed and expires `ASSESS_NOW_CODE_MINUTES` after it is made
(default 10). Redeeming it opens an observation request from the learner to the assessor
(the form the assessor lands on is that request's one-screen form); the code's
`redeemed_at` is claimed by a conditional UPDATE in the same transaction, so it works once:
a second scan, an expired code, or a scan by someone who may not assess the learner is a
clear error with nothing written.

Someone on the program's faculty list who is not signed in on their phone can ask for a
one-time sign-in link by email (`ASSESS_NOW_LINK_MINUTES`, default 15): it signs them in and
redeems the code, once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    AssessmentRequest,
    AssessNowCode,
    AssessNowLink,
    ObservationSetting,
)
from assessments.selectors.observations import assessor_programs_for_learner
from assessments.services.observations import (
    CASE_TYPE_MAX,
    _check_length,
    _choose_competencies,
    _choose_form,
    _parse_token,
)
from notifications.services import notification_send
from programs.models import Enrollment, Program

CODE_SALT = "assessments.assess-now.code"
LINK_SALT = "assessments.assess-now.link"
NOTE = "Assess me now: scanned on the spot."
MAX_LINKS_PER_CODE = 3


class AssessNowError(Exception):
    """A code or link that cannot be used: `kind` is "expired", "used" or "invalid"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


EXPIRED = "This code has expired. Ask the learner to show a new one."
USED = "This code has already been used. Ask the learner to show a new one."
INVALID = "This is not a valid code."
LINK_EXPIRED = "This sign-in link has expired. Scan the learner's code again."
LINK_USED = "This sign-in link has already been used. Scan the learner's code again."


def code_minutes() -> int:
    return int(getattr(settings, "ASSESS_NOW_CODE_MINUTES", 10))


def link_minutes() -> int:
    return int(getattr(settings, "ASSESS_NOW_LINK_MINUTES", 15))


def code_token(code: AssessNowCode) -> str:
    """The code as it travels in the QR code's URL: the row's key, signed."""
    return signing.Signer(salt=CODE_SALT).sign(str(code.pk))


def code_from_token(token: str) -> AssessNowCode:
    """The code a token names, or AssessNowError("invalid")."""
    try:
        pk = int(signing.Signer(salt=CODE_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as error:
        raise AssessNowError("invalid", INVALID) from error
    code = (
        AssessNowCode.objects.select_related("learner", "program__institution", "framework", "form")
        .filter(pk=pk)
        .first()
    )
    if code is None:
        raise AssessNowError("invalid", INVALID)
    return code


def link_token(link: AssessNowLink) -> str:
    return signing.Signer(salt=LINK_SALT).sign(str(link.pk))


def link_from_token(token: str) -> AssessNowLink:
    try:
        pk = int(signing.Signer(salt=LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError) as error:
        raise AssessNowError("invalid", "This is not a valid sign-in link.") from error
    link = AssessNowLink.objects.select_related("code", "user").filter(pk=pk).first()
    if link is None:
        raise AssessNowError("invalid", "This is not a valid sign-in link.")
    return link


def assess_now_code_create(
    *,
    learner: User,
    competency_ids: Sequence[int],
    setting: str = "",
    case_type: str = "",
    form_id: int | None = None,
    client_token: uuid.UUID | str | None = None,
) -> tuple[AssessNowCode, bool]:
    """A learner makes a code for the items they want observed now, in one of their current
    programs. Idempotent on `client_token` (per learner)."""
    token = _parse_token(client_token, "client_token")
    if token is not None:
        existing = AssessNowCode.objects.filter(learner=learner, client_token=token).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    if setting and setting not in ObservationSetting.values:
        errors["setting"] = ["Choose one of the listed settings."]
    _check_length(errors, "case_type", case_type, CASE_TYPE_MAX)
    if errors:
        raise ValidationError(errors)
    programs = [
        e.program
        for e in Enrollment.objects.current()
        .filter(learner=learner)
        .select_related("program")
        .prefetch_related("program__frameworks")
        .order_by("-start_date", "-id")
    ]
    if not programs:
        raise ValidationError({"competencies": ["You are not enrolled in a program."]})
    program: Program | None = None
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
    if program is None:
        assert last_error is not None
        raise last_error
    form = _choose_form(
        form_id=form_id, program=program, framework=framework, competencies=competencies
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            code = AssessNowCode.objects.create(
                learner=learner,
                program=program,
                framework=framework,
                form=form,
                setting=setting,
                case_type=case_type.strip(),
                client_token=token,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=code_minutes()),
            )
            code.competencies.set(competencies)
    except IntegrityError:
        existing = AssessNowCode.objects.filter(learner=learner, client_token=token).first()
        if existing is None:
            raise
        return existing, False
    return code, True


def _check_usable(code: AssessNowCode, now: dt.datetime) -> None:
    if code.redeemed_at is not None:
        raise AssessNowError("used", USED)
    if code.is_expired(now):
        raise AssessNowError("expired", EXPIRED)


def _check_assessor(code: AssessNowCode, assessor: User) -> None:
    if assessor.pk == code.learner_id:
        raise ValidationError(
            {"code": ["This is your own code: show it to the person who will observe you."]}
        )
    programs = assessor_programs_for_learner(
        learner_id=code.learner_id, assessor_id=assessor.pk, program_ids=[code.program_id]
    )
    if not programs:
        raise ValidationError(
            {"code": ["Only faculty of the learner's program may answer this code."]}
        )


@transaction.atomic
def assess_now_redeem(*, code: AssessNowCode, assessor: User) -> AssessmentRequest:
    """The assessor redeems the code: an observation request from the learner to them, on the
    code's items and form, dated today, comes into being, and the code is spent.

    Refused with nothing written: an expired or used code (AssessNowError), an assessor who
    may not rate the learner in the code's program (ValidationError)."""
    now = timezone.now()
    _check_usable(code, now)
    _check_assessor(code, assessor)
    claimed = AssessNowCode.objects.filter(
        pk=code.pk, redeemed_at__isnull=True, expires_at__gt=now
    ).update(redeemed_at=now)
    if not claimed:
        # Another scan won the race between our read and this update.
        raise AssessNowError("used", USED)
    today = code.program.institution.local_today() if code.program_id else timezone.localdate()
    request = AssessmentRequest.objects.create(
        learner=code.learner,
        assessor=assessor,
        program=code.program,
        framework=code.framework,
        form=code.form,
        setting=code.setting,
        case_type=code.case_type,
        encounter_on=min(today, timezone.localdate()),
        due_on=None,
        note=NOTE,
        created_at=now,
        updated_at=now,
    )
    request.competencies.set(code.competencies.all())
    AssessNowCode.objects.filter(pk=code.pk).update(request=request)
    code.redeemed_at = now
    code.request = request
    return request


@dataclass
class LinkResult:
    """What asking for a sign-in link did. `sent` is never shown to the asker (it would tell
    whether an address is on the faculty list); tests read it."""

    sent: bool


def assess_now_link_request(*, code: AssessNowCode, email: str) -> LinkResult:
    """Email a one-time sign-in link for this code to `email`, if that address belongs to an
    active account on the faculty list of the code's program (faculty, director, committee)
    without two-factor sign-in (those sign in as usual). The code must still be usable.

    The answer does not say whether a link went: the asker learns nothing about the list."""
    now = timezone.now()
    _check_usable(code, now)
    email = (email or "").strip()
    if not email or "@" not in email or len(email) > 254:
        raise ValidationError({"email": ["Enter your email address."]})
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or user.pk == code.learner_id:
        return LinkResult(sent=False)
    if not assessor_programs_for_learner(
        learner_id=code.learner_id, assessor_id=user.pk, program_ids=[code.program_id]
    ):
        return LinkResult(sent=False)
    if is_mfa_enabled(user):
        return LinkResult(sent=False)
    if AssessNowLink.objects.filter(code=code).count() >= MAX_LINKS_PER_CODE:
        # Someone holding the code cannot flood a colleague's mailbox.
        return LinkResult(sent=False)
    with transaction.atomic():
        link = AssessNowLink.objects.create(
            code=code,
            user=user,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=link_minutes()),
        )
        notification_send(
            recipient=user,
            kind="observation_request",
            title=f"Your sign-in link to observe {code.learner.name}",
            body=(
                f"Open the link within {link_minutes()} minutes to sign in and observe "
                f"{code.learner.name}. It works once. If you did not ask for it, ignore it."
            ),
            url=reverse("assess-now-link", args=[link_token(link)]),
            dedupe_key=f"assess-now-link:{link.pk}",
        )
    return LinkResult(sent=True)


@transaction.atomic
def assess_now_link_use(*, link: AssessNowLink) -> AssessmentRequest:
    """Spend a sign-in link and redeem its code for its person, in one transaction: both
    work once; an expired or used link or code is refused with nothing written."""
    now = timezone.now()
    if link.used_at is not None:
        raise AssessNowError("used", LINK_USED)
    if now >= link.expires_at:
        raise AssessNowError("expired", LINK_EXPIRED)
    claimed = AssessNowLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        raise AssessNowError("used", LINK_USED)
    code = code_from_token(code_token(link.code))
    return assess_now_redeem(code=code, assessor=link.user)

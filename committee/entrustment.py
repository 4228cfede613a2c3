"""Entrustment decisions: the committee decides that a learner is entrusted with an EPA at a
level, on a date, resting on named assessments, under conditions; the director signs it off and
the learner then sees it.

Writes (`entrustment_decision_record`, `entrustment_decision_sign_off`) check every rule before
they write, in one transaction:

- the learner has an enrollment in the program (current or past: a decision may close a
  period after they left), and the EPA is a ratable item of an EPA framework of the program;
- the level is on that framework's own entrustment scale; the date is not in the future;
- the evidence is assessments of this learner on this EPA; the rationale is required;
- a new decision for the same learner and EPA becomes the current one, the earlier stay;
- only a draft is signed off, by a director of the program (callers check the role through
  `programs.selectors.programs_signed_off_by`); the learner is told.

Reads: `decisions_for_committee` (callers check the review role first, through
`programs.selectors.program_reviewed_by`) and `decisions_of_learner` (the learner's own,
signed-off only; drafts stay inside the committee).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment
from committee.models import EntrustmentDecision
from frameworks.models import Competency, Framework
from notifications.services import notification_send
from programs.models import Enrollment, Program

RATIONALE_MAX = 4000
CONDITIONS_MAX = 2000
EVIDENCE_NOTE_MAX = 2000


def program_epas(*, program: Program) -> QuerySet[Competency]:
    """The EPAs the program's committee decides on, with each framework's scale levels."""
    return (
        Competency.objects.ratable()
        .filter(framework__in=program.frameworks.all(), framework__kind=Framework.Kind.EPA)
        .select_related("framework__scale")
        .prefetch_related("framework__scale__levels")
        .order_by("framework__code", "order", "id")
    )


def _decision_queryset() -> QuerySet[EntrustmentDecision]:
    return EntrustmentDecision.objects.select_related(
        "competency", "competency__framework", "program", "recorded_by", "signed_off_by"
    ).prefetch_related(
        Prefetch(
            "evidence",
            queryset=Assessment.objects.select_related("assessor", "scale").order_by(
                "-observed_on", "-id"
            ),
        )
    )


def decisions_for_committee(*, program: Program, learner_id: int) -> QuerySet[EntrustmentDecision]:
    """Every decision of the program about the learner, drafts included, newest first."""
    return _decision_queryset().filter(program=program, learner_id=learner_id)


def decisions_of_learner(*, learner: User) -> QuerySet[EntrustmentDecision]:
    """The learner's signed-off decisions (current and earlier), newest first."""
    return (
        _decision_queryset()
        .filter(learner=learner, status=EntrustmentDecision.Status.SIGNED_OFF)
        .order_by("competency__framework__code", "competency__order", "-decided_on", "-id")
    )


def _level(raw: object, competency: Competency) -> Decimal:
    try:
        level = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({"level": ["Give the level as a number."]}) from error
    scale = competency.framework.scale
    if not level.is_finite() or not scale.allows(level):
        shown = ", ".join(f"{v.normalize():f}" for v in sorted(scale.allowed_values()))
        raise ValidationError({"level": [f"{raw} is not on the {scale.name} scale ({shown})."]})
    return level


@transaction.atomic
def entrustment_decision_record(
    *,
    program: Program,
    learner_id: int,
    competency_id: int,
    level: Decimal | str,
    decided_on: dt.date,
    rationale: str,
    by: User,
    conditions: str = "",
    evidence_ids: Sequence[int] = (),
    evidence_note: str = "",
) -> EntrustmentDecision:
    """Record the committee's decision for one EPA; it becomes the current one (a draft until
    the director signs it off)."""
    errors: dict[str, list[str]] = {}
    if not Enrollment.objects.filter(program=program, learner_id=learner_id).exists():
        raise ValidationError({"learner": ["Not a learner of this program."]})
    competency = program_epas(program=program).filter(pk=competency_id).first()
    if competency is None:
        raise ValidationError({"competency": ["Choose an EPA of this program."]})
    try:
        value = _level(level, competency)
    except ValidationError as error:
        errors.update(error.message_dict)
    if decided_on > timezone.localdate():
        errors["decided_on"] = ["A decision cannot be dated in the future."]
    rationale, conditions, evidence_note = (
        rationale.strip(),
        conditions.strip(),
        evidence_note.strip(),
    )
    if not rationale:
        errors["rationale"] = ["Write what the committee based its decision on."]
    for field, text, limit in (
        ("rationale", rationale, RATIONALE_MAX),
        ("conditions", conditions, CONDITIONS_MAX),
        ("evidence_note", evidence_note, EVIDENCE_NOTE_MAX),
    ):
        if len(text) > limit:
            errors[field] = [f"At most {limit:,} characters."]
    ids = sorted({int(pk) for pk in evidence_ids})
    evidence = list(
        Assessment.objects.filter(pk__in=ids, learner_id=learner_id, competency=competency)
    )
    if len(evidence) != len(ids):
        errors["evidence"] = ["Choose assessments of this learner on this EPA."]
    if errors:
        raise ValidationError(errors)
    EntrustmentDecision.objects.filter(
        program=program, learner_id=learner_id, competency=competency, is_current=True
    ).update(is_current=False)
    try:
        with transaction.atomic():
            decision = EntrustmentDecision.objects.create(
                program=program,
                learner_id=learner_id,
                competency=competency,
                level=value,
                decided_on=decided_on,
                rationale=rationale,
                conditions=conditions,
                evidence_note=evidence_note,
                recorded_by=by,
            )
    except IntegrityError as error:  # a concurrent save of the same EPA
        raise ValidationError("Someone recorded this decision at the same time; reload.") from error
    decision.evidence.set(evidence)
    return decision


# Called inside the sign-off transaction with the signed-off decision: apps above the
# committee (credentials) register here in their AppConfig.ready, so the layers stay one-way.
SIGN_OFF_HOOKS: list[Callable[[EntrustmentDecision], object]] = []


class EntrustmentConflictError(Exception):
    """The decision is already signed off (the API answers 409)."""


@transaction.atomic
def entrustment_decision_sign_off(
    *, decision: EntrustmentDecision, by: User
) -> EntrustmentDecision:
    """The director signs off a draft decision; the learner then sees it and is told."""
    changed = EntrustmentDecision.objects.filter(
        pk=decision.pk, status=EntrustmentDecision.Status.DRAFT
    ).update(
        status=EntrustmentDecision.Status.SIGNED_OFF, signed_off_by=by, signed_off_at=timezone.now()
    )
    if changed != 1:
        raise EntrustmentConflictError("This decision is already signed off.")
    decision.refresh_from_db()
    for hook in SIGN_OFF_HOOKS:
        hook(decision)
    notification_send(
        recipient=decision.learner,
        kind="review",
        title=f"Entrustment decision: {decision.competency.code} at level "
        f"{decision.level.normalize():f}",
        body=(
            f"The {decision.program.name} competency committee decided on "
            f"{decision.decided_on:%d %b %Y}."
            + (f" Conditions: {decision.conditions}" if decision.conditions else "")
        ),
        url=reverse("my-review-list") + "#entrustment",
        dedupe_key=f"entrustment:{decision.pk}:signed-off",
    )
    return decision

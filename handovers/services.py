"""Writes for handovers: build a draft from the learner's record, send it, withdraw it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from handovers.models import Handover
from portfolio.dashboard import learner_dashboard
from portfolio.models import Evidence, Goal
from programs.models import Program

NOTE_MAX_LENGTH = 2000
EVIDENCE_MAX = 50


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def handover_content(
    *, learner: User, include_levels: bool, include_goals: bool, evidence: list[Evidence]
) -> dict[str, Any]:
    """What the receiving program will read, as plain values: the latest levels of every
    competency the learner was rated on (EPA entrustment and milestones alike, by framework),
    their learning plan, and the evidence they chose (text only; files stay with them)."""
    content: dict[str, Any] = {"levels": [], "goals": [], "evidence": []}
    if include_levels:
        dashboard = learner_dashboard(learner=learner, stages=False)
        ratings = dashboard.history_ratings()
        for competency in dashboard.charted:
            mine, theirs = ratings.get(competency.pk, (None, None))
            if mine is None and theirs is None:
                continue
            content["levels"].append(
                {
                    "framework": competency.framework.name,
                    "code": competency.code,
                    "title": competency.title,
                    "assessor_level": _number(theirs[0]) if theirs else None,
                    "assessor_on": theirs[1].isoformat() if theirs else None,
                    "assessor_n": theirs[2] if theirs else 0,
                    "self_level": _number(mine[0]) if mine else None,
                    "self_on": mine[1].isoformat() if mine else None,
                }
            )
    if include_goals:
        for goal in Goal.objects.filter(learner=learner).prefetch_related("competencies"):
            content["goals"].append(
                {
                    "title": goal.title,
                    "measure": goal.measure,
                    "status": goal.get_status_display(),
                    "target_date": goal.target_date.isoformat(),
                    "competencies": [c.code for c in goal.competencies.all()],
                }
            )
    for item in sorted(evidence, key=lambda e: (e.occurred_on, e.pk)):
        content["evidence"].append(
            {
                "title": item.title,
                "kind": item.get_kind_display(),
                "occurred_on": item.occurred_on.isoformat(),
                "body": item.body,
                "credit_hours": _number(item.credit_hours),
            }
        )
    return content


def _checked(
    *, learner: User, program_id: int | None, note: str, evidence_ids: Iterable[int]
) -> tuple[Program, list[Evidence]]:
    errors: dict[str, list[str]] = {}
    program = (
        Program.objects.select_related("institution").filter(pk=program_id).first()
        if program_id is not None
        else None
    )
    if program is None:
        errors["program"] = ["No such program: choose the program you are moving to."]
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [f"Keep the note under {NOTE_MAX_LENGTH} characters."]
    wanted = {int(pk) for pk in evidence_ids}
    evidence = list(Evidence.objects.filter(pk__in=wanted, learner=learner))
    if len(evidence) != len(wanted):
        errors["evidence"] = ["Choose evidence from your own portfolio."]
    elif len(evidence) > EVIDENCE_MAX:
        errors["evidence"] = [f"Choose at most {EVIDENCE_MAX} items of evidence."]
    if errors:
        raise ValidationError(errors)
    assert program is not None
    return program, evidence


@transaction.atomic
def handover_create(
    *,
    learner: User,
    program_id: int | None,
    note: str = "",
    include_levels: bool = True,
    include_goals: bool = True,
    evidence_ids: Iterable[int] = (),
) -> Handover:
    """A draft handover to `program_id`, its content built from the learner's record now.
    Nobody but the learner sees a draft."""
    program, evidence = _checked(
        learner=learner, program_id=program_id, note=note, evidence_ids=evidence_ids
    )
    handover = Handover.objects.create(
        learner=learner,
        program=program,
        note=note.strip(),
        include_levels=include_levels,
        include_goals=include_goals,
        content=handover_content(
            learner=learner,
            include_levels=include_levels,
            include_goals=include_goals,
            evidence=evidence,
        ),
    )
    handover.evidence.set(evidence)
    return handover


@transaction.atomic
def handover_refresh(*, handover: Handover) -> Handover:
    """Rebuild a draft's content from the learner's record as it is now."""
    locked = Handover.objects.select_for_update().select_related("learner").get(pk=handover.pk)
    if locked.status != Handover.Status.DRAFT:
        raise ValidationError({"status": ["Only a draft can be refreshed; this one was sent."]})
    locked.content = handover_content(
        learner=locked.learner,
        include_levels=locked.include_levels,
        include_goals=locked.include_goals,
        evidence=list(locked.evidence.filter(learner=locked.learner)),
    )
    locked.save(update_fields=["content"])
    return locked


@transaction.atomic
def handover_send(*, handover: Handover) -> Handover:
    """Send the draft exactly as previewed. Sending again changes nothing; a withdrawn
    handover is not sent again (build a new one)."""
    locked = Handover.objects.select_for_update().get(pk=handover.pk)
    if locked.status == Handover.Status.WITHDRAWN:
        raise ValidationError({"status": ["This handover was withdrawn; build a new one."]})
    if locked.status == Handover.Status.DRAFT:
        locked.status = Handover.Status.SENT
        locked.sent_at = timezone.now()
        locked.save(update_fields=["status", "sent_at"])
    return locked


@transaction.atomic
def handover_withdraw(*, handover: Handover) -> Handover:
    """Take a sent handover back: the program no longer sees it. Withdrawing twice is once."""
    locked = Handover.objects.select_for_update().get(pk=handover.pk)
    if locked.status == Handover.Status.DRAFT:
        raise ValidationError({"status": ["A draft was never sent; delete it instead."]})
    if locked.status == Handover.Status.SENT:
        locked.status = Handover.Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawn_at"])
    return locked


@transaction.atomic
def handover_delete(*, handover: Handover) -> None:
    """Delete a draft. A sent handover is withdrawn, not deleted: its reads stay explained."""
    locked = Handover.objects.select_for_update().get(pk=handover.pk)
    if locked.status != Handover.Status.DRAFT:
        raise ValidationError({"status": ["Only a draft can be deleted; withdraw a sent one."]})
    locked.delete()


@transaction.atomic
def handovers_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): a handover is the learner's disclosure, not the receiving
    program's record; erasing the account withdraws and removes every one."""
    Handover.objects.filter(learner=user).delete()

"""Writes for assessments.

Self-assessments and check-ins (the learner's own ratings) come first; assessments by others
and observation requests belong in their own section below.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment, CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.summaries.monthly import assessor_summaries_refresh, monthly_summaries_refresh
from frameworks.models import Competency, Framework, ScaleLevel
from portfolio.models import Evidence
from programs.selectors import frameworks_in_use

RatedBy = MonthlyRatingSummary.RatedBy

# --- Self-assessments and check-ins --------------------------------------------------------

NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class SelfAssessmentInput:
    """One item of a check-in as submitted: a competency, a level, maybe a note and evidence."""

    competency_id: int
    level: Decimal | str
    note: str = ""
    evidence_ids: Sequence[int] = field(default=())


class CheckInInvalidError(ValidationError):
    """A check-in that cannot be recorded. `item_errors` maps competency ids to messages so a
    form can show each next to its item; nothing has been written."""

    def __init__(self, errors: dict[str, list[str]], item_errors: dict[int, list[str]]) -> None:
        super().__init__(errors)
        self.item_errors = item_errors


class CheckInTokenConflictError(Exception):
    """The client token belongs to someone else's check-in (the API answers 409)."""


def _parse_level(raw: Decimal | str) -> Decimal | None:
    try:
        level = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return level if level.is_finite() else None


def _validate_items(
    *, learner: User, items: Sequence[SelfAssessmentInput]
) -> tuple[dict[int, Competency], dict[int, list[Evidence]]]:
    """Check every item before anything is written (three queries, whatever the size)."""
    errors: dict[str, list[str]] = {}
    item_errors: dict[int, list[str]] = {}
    if not items:
        raise CheckInInvalidError({"items": ["Rate at least one competency."]}, {})
    ids = [int(item.competency_id) for item in items]
    if len(set(ids)) != len(ids):
        errors.setdefault("items", []).append("Each competency may appear only once.")
    competencies = {
        c.pk: c
        for c in Competency.objects.filter(
            pk__in=set(ids),
            children__isnull=True,
            framework__in=frameworks_in_use(learner=learner),
        ).select_related("framework", "framework__scale")
    }
    allowed: dict[int, set[Decimal]] = {}
    for scale_id, value in ScaleLevel.objects.filter(
        scale_id__in={c.framework.scale_id for c in competencies.values()}
    ).values_list("scale_id", "value"):
        allowed.setdefault(scale_id, set()).add(value)
    evidence_ids = {int(pk) for item in items for pk in item.evidence_ids}
    own_evidence = (
        {e.pk: e for e in Evidence.objects.filter(pk__in=evidence_ids, learner=learner)}
        if evidence_ids
        else {}
    )
    linked: dict[int, list[Evidence]] = {}
    for item in items:
        problems: list[str] = []
        competency = competencies.get(int(item.competency_id))
        level = _parse_level(item.level)
        if competency is None:
            problems.append(
                "This competency is not one you can rate: choose a sub-competency from a "
                "framework of your current program."
            )
        elif level is None or level not in allowed.get(competency.framework.scale_id, set()):
            values = sorted(allowed.get(competency.framework.scale_id, set()))
            problems.append(
                f"Level {item.level} is not on the {competency.framework.scale.name} scale "
                f"({', '.join(f'{v.normalize():f}' for v in values)})."
            )
        if len(item.note) > NOTE_MAX_LENGTH:
            problems.append(f"Keep the note under {NOTE_MAX_LENGTH} characters.")
        missing = [pk for pk in item.evidence_ids if int(pk) not in own_evidence]
        if missing:
            problems.append("Link only evidence from your own portfolio.")
        if problems:
            item_errors[int(item.competency_id)] = problems
        linked[int(item.competency_id)] = [
            own_evidence[int(pk)] for pk in item.evidence_ids if int(pk) in own_evidence
        ]
    if item_errors:
        label = {pk: c.code for pk, c in competencies.items()}
        errors.setdefault("items", []).extend(
            f"{label.get(pk, f'Competency {pk}')}: {message}"
            for pk, messages in item_errors.items()
            for message in messages
        )
    if errors:
        raise CheckInInvalidError(errors, item_errors)
    return competencies, linked


def checkin_record(
    *,
    learner: User,
    client_token: uuid.UUID | str,
    items: Sequence[SelfAssessmentInput],
    assessed_on: dt.date | None = None,
    framework: Framework | None = None,
) -> tuple[CheckIn, bool]:
    """Record a check-in: one dated SelfAssessment per item. Nothing is ever overwritten.

    Idempotent on `client_token`: submitting the same token again (a double tap, a retry after
    a lost connection) returns the first check-in and `created=False`. Levels must be on the
    framework's scale and competencies must be ratable ones of the learner's current
    frameworks; otherwise nothing is written.
    """
    try:
        token = uuid.UUID(str(client_token))
    except ValueError as error:
        raise ValidationError({"client_token": ["Send a UUID."]}) from error
    existing = CheckIn.objects.filter(client_token=token).first()
    if existing is not None:
        if existing.learner_id != learner.pk:
            raise CheckInTokenConflictError(str(token))
        return existing, False
    today = timezone.localdate()
    day = assessed_on or today
    if day > today:
        raise ValidationError({"assessed_on": ["A check-in cannot be dated in the future."]})
    competencies, linked = _validate_items(learner=learner, items=items)
    levels = {int(item.competency_id): _parse_level(item.level) or Decimal(0) for item in items}
    if framework is not None and any(c.framework_id != framework.pk for c in competencies.values()):
        raise ValidationError({"items": ["Every item must belong to the framework checked in."]})
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                learner=learner, client_token=token, framework=framework
            )
            rows = SelfAssessment.objects.bulk_create(
                SelfAssessment(
                    learner=learner,
                    competency=competencies[int(item.competency_id)],
                    level=levels[int(item.competency_id)],
                    note=item.note.strip(),
                    assessed_on=day,
                    checkin=checkin,
                )
                for item in items
            )
            through = SelfAssessment.evidence.through
            through.objects.bulk_create(
                through(selfassessment_id=row.pk, evidence_id=evidence.pk)
                for row in rows
                for evidence in linked.get(row.competency_id, [])
            )
            monthly_summaries_refresh(
                learner_id=learner.pk,
                rated_by=RatedBy.SELF,
                competency_ids=levels.keys(),
            )
    except IntegrityError:
        # Two requests with one token raced; the other one won. Return what it recorded.
        existing = CheckIn.objects.filter(client_token=token, learner=learner).first()
        if existing is None:
            raise
        return existing, False
    return checkin, True


# --- Deleting ratings (data-protection requests, test data) -----------------------------------


def ratings_delete(records: QuerySet[Any]) -> int:
    """Delete check-ins (with their ratings), self-assessments or assessments, and keep every
    summary built from them exact, in one transaction. Ratings are records: only the admin's
    data-protection path removes them. Returns the number of rows deleted."""
    model = records.model
    with transaction.atomic():
        if model is CheckIn:
            rated = SelfAssessment.objects.filter(checkin__in=records)
        elif model in (SelfAssessment, Assessment):
            rated = records
        else:
            raise TypeError(f"{model.__name__} is not a rating")
        day = "observed_on" if model is Assessment else "assessed_on"
        touched: dict[int, list[tuple[int, dt.date]]] = {}  # learner → (competency, date)
        for learner_id, competency_id, on in rated.values_list("learner_id", "competency_id", day):
            touched.setdefault(learner_id, []).append((competency_id, on))
        deleted, _ = records.delete()
        for learner_id, ratings in sorted(touched.items()):
            competency_ids = [competency_id for competency_id, _ in ratings]
            if model is Assessment:
                assessor_summaries_refresh(
                    learner_id=learner_id,
                    competency_ids=competency_ids,
                    days=[on for _, on in ratings],
                )
            else:
                monthly_summaries_refresh(
                    learner_id=learner_id, rated_by=RatedBy.SELF, competency_ids=competency_ids
                )
    return deleted

"""Recording check-ins: a learner's dated self-assessments, done together. Evidence links are
the portfolio's (`portfolio.services.checkin_record_with_evidence`), which reports its own
problems with an item through `extra_item_errors` and links through `on_recorded`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from assessments.models import CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.selectors.checkins import ratable_competencies
from assessments.summaries.monthly import NewRating, monthly_summaries_add
from core.db import prefetch_store
from frameworks.models import Competency, Framework

RatedBy = MonthlyRatingSummary.RatedBy

NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class SelfAssessmentInput:
    """One item of a check-in as submitted: a competency, a level, maybe a note."""

    competency_id: int
    level: Decimal | str
    note: str = ""


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
    *,
    learner: User,
    items: Sequence[SelfAssessmentInput],
    extra_item_errors: Mapping[int, list[str]],
) -> dict[int, Competency]:
    """Check every item before anything is written: one query, whatever the size, which
    also brings each competency's scale levels (`ratable_competencies`)."""
    errors: dict[str, list[str]] = {}
    item_errors: dict[int, list[str]] = {}
    if not items:
        raise CheckInInvalidError({"items": ["Rate at least one competency."]}, {})
    ids = [int(item.competency_id) for item in items]
    if len(set(ids)) != len(ids):
        errors.setdefault("items", []).append("Each competency may appear only once.")
    ratable = ratable_competencies(learner=learner, competency_ids=sorted(set(ids)))
    competencies: dict[int, Competency] = {pk: r.competency for pk, r in ratable.items()}
    for item in items:
        problems: list[str] = []
        found = ratable.get(int(item.competency_id))
        level = _parse_level(item.level)
        if found is None:
            problems.append(
                "This competency is not one you can rate: choose a sub-competency from a "
                "framework of your current program."
            )
        elif level is None or level not in found.levels:
            competency = found.competency
            values = sorted(found.levels)
            problems.append(
                f"Level {item.level} is not on the {competency.framework.scale.name} scale "
                f"({', '.join(f'{v.normalize():f}' for v in values)})."
            )
        if len(item.note) > NOTE_MAX_LENGTH:
            problems.append(f"Keep the note under {NOTE_MAX_LENGTH} characters.")
        problems.extend(extra_item_errors.get(int(item.competency_id), []))
        if problems:
            item_errors[int(item.competency_id)] = problems
    if item_errors:
        label = {pk: c.code for pk, c in competencies.items()}
        errors.setdefault("items", []).extend(
            f"{label.get(pk, f'Competency {pk}')}: {message}"
            for pk, messages in item_errors.items()
            for message in messages
        )
    if errors:
        raise CheckInInvalidError(errors, item_errors)
    return competencies


def checkin_record(
    *,
    learner: User,
    client_token: uuid.UUID | str,
    items: Sequence[SelfAssessmentInput],
    assessed_on: dt.date | None = None,
    framework: Framework | None = None,
    extra_item_errors: Mapping[int, list[str]] | None = None,
    on_recorded: Callable[[list[SelfAssessment]], None] | None = None,
) -> tuple[CheckIn, bool]:
    """Record a check-in: one dated SelfAssessment per item. Nothing is ever overwritten.

    Idempotent on `client_token`: submitting the same token again (a double tap, a retry after
    a lost connection) returns the first check-in and `created=False`. Levels must be on the
    framework's scale and competencies must be ratable ones of the learner's current
    frameworks, and a caller's `extra_item_errors` (by competency id) are reported with the
    item's own; otherwise nothing is written. `on_recorded` runs in the same transaction
    with the new self-assessments (a caller above attaches what belongs to it).
    """
    try:
        token = uuid.UUID(str(client_token))
    except ValueError as error:
        raise ValidationError({"client_token": ["Send a UUID."]}) from error
    today = timezone.localdate()
    day = assessed_on or today
    try:
        if day > today:
            raise ValidationError({"assessed_on": ["A check-in cannot be dated in the future."]})
        competencies = _validate_items(
            learner=learner, items=items, extra_item_errors=extra_item_errors or {}
        )
        if framework is not None and any(
            c.framework_id != framework.pk for c in competencies.values()
        ):
            raise ValidationError(
                {"items": ["Every item must belong to the framework checked in."]}
            )
    except ValidationError:
        # A retry of a check-in already recorded returns it, whatever changed since; the
        # token is looked up only here and on a clash, not on every check-in.
        existing = _recorded(token=token, learner=learner)
        if existing is None:
            raise
        return existing, False
    levels = {int(item.competency_id): _parse_level(item.level) or Decimal(0) for item in items}
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
            if on_recorded is not None:
                on_recorded(rows)
            monthly_summaries_add(
                learner_id=learner.pk,
                rated_by=RatedBy.SELF,
                ratings=[NewRating(row.competency_id, day, row.level) for row in rows],
            )
    except IntegrityError:
        # The token was used before (a retry, or two requests racing): return what it recorded.
        existing = _recorded(token=token, learner=learner)
        if existing is None:
            raise
        return existing, False
    # The check-in comes back with its items as written (in the order of `items`), so a
    # caller can show it without reading it again.
    prefetch_store(checkin, "items", SelfAssessment, rows)
    return checkin, True


def _recorded(*, token: uuid.UUID, learner: User) -> CheckIn | None:
    """The check-in recorded with `token`, if any; someone else's is a conflict."""
    existing = CheckIn.objects.filter(client_token=token).first()
    if existing is not None and existing.learner_id != learner.pk:
        raise CheckInTokenConflictError(str(token))
    return existing

"""Recording check-ins: a learner's dated self-assessments, done together. Evidence links are
the portfolio's (`portfolio.services.checkin_record_with_evidence`), which reports its own
problems with an item through `extra_item_errors` and links through `on_recorded`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from assessments.models import CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.selectors.checkins import ratable_competencies
from assessments.summaries.monthly import (
    NewRating,
    monthly_summaries_add,
    monthly_summaries_add_statement,
)
from core.db import execute_returning, prefetch_store
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
    to_write = [
        (competencies[int(i.competency_id)], levels[int(i.competency_id)], i.note) for i in items
    ]
    write = _write_in_one_statement if connection.vendor == "postgresql" else _write
    try:
        checkin, rows = write(
            learner=learner,
            token=token,
            framework=framework,
            day=day,
            items=to_write,
            on_recorded=on_recorded,
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


_Item = tuple[Competency, Decimal, str]
_CHECKIN = CheckIn._meta.db_table
_ITEM = SelfAssessment._meta.db_table


def _write(
    *,
    learner: User,
    token: uuid.UUID,
    framework: Framework | None,
    day: dt.date,
    items: Sequence[_Item],
    on_recorded: Callable[[list[SelfAssessment]], None] | None,
) -> tuple[CheckIn, list[SelfAssessment]]:
    """The check-in, its items and their monthly summary cells, through the ORM (SQLite)."""
    with transaction.atomic():
        checkin = CheckIn.objects.create(
            learner=learner, client_token=token, framework=framework, assessed_on=day
        )
        rows = SelfAssessment.objects.bulk_create(
            SelfAssessment(
                learner=learner,
                competency=competency,
                level=level,
                note=note.strip(),
                assessed_on=day,
                checkin=checkin,
            )
            for competency, level, note in items
        )
        if on_recorded is not None:
            on_recorded(rows)
        monthly_summaries_add(
            learner_id=learner.pk,
            rated_by=RatedBy.SELF,
            ratings=[NewRating(row.competency_id, day, row.level) for row in rows],
        )
    return checkin, rows


def _write_in_one_statement(
    *,
    learner: User,
    token: uuid.UUID,
    framework: Framework | None,
    day: dt.date,
    items: Sequence[_Item],
    on_recorded: Callable[[list[SelfAssessment]], None] | None,
) -> tuple[CheckIn, list[SelfAssessment]]:
    """`_write` on PostgreSQL, as one statement: the check-in, its items (`UNNEST`, in the
    order given) and the monthly summary upsert are data-modifying parts of one `WITH`, which
    PostgreSQL runs all or nothing. Alone (no evidence to link, no transaction around it) the
    statement commits itself: one round trip instead of five (BEGIN, three writes, COMMIT)
    and no ORM building. The rows come back as the ORM would have made them."""
    now = timezone.now()
    upsert, upsert_params = monthly_summaries_add_statement(
        learner_id=learner.pk,
        rated_by=RatedBy.SELF,
        ratings=[NewRating(competency.pk, day, level) for competency, level, _ in items],
    )
    sql = (
        f"WITH checkin AS (INSERT INTO {_CHECKIN} "  # noqa: S608 — our names, placeholders
        "(learner_id, client_token, framework_id, assessed_on, created_at) "
        "VALUES (%s, %s, %s, %s, %s) "
        f"RETURNING id), summary AS ({upsert}) "
        f"INSERT INTO {_ITEM} "
        "(learner_id, competency_id, level, note, assessed_on, checkin_id, created_at) "
        "SELECT %s, item.competency_id, item.level, item.note, %s, checkin.id, %s "
        "FROM checkin, UNNEST(%s::integer[], %s::numeric[], %s::text[]) WITH ORDINALITY "
        "AS item(competency_id, level, note, position) ORDER BY item.position "
        "RETURNING id, competency_id, checkin_id"
    )
    notes = [note.strip() for _, _, note in items]
    params = [
        learner.pk,
        token,
        framework.pk if framework is not None else None,
        day,
        now,
        *upsert_params,
        learner.pk,
        day,
        now,
        [competency.pk for competency, _, _ in items],
        [level for _, level, _ in items],
        notes,
    ]
    one_statement = on_recorded is None and not transaction.get_connection().in_atomic_block
    with nullcontext() if one_statement else transaction.atomic():
        written = execute_returning(sql, params)
        checkin = CheckIn(
            id=written[0][2],
            learner=learner,
            client_token=token,
            framework=framework,
            assessed_on=day,
        )
        checkin.created_at = now
        ids = {competency_id: pk for pk, competency_id, _ in written}
        rows = [
            SelfAssessment(
                id=ids[competency.pk],
                learner=learner,
                competency=competency,
                level=level,
                note=note,
                assessed_on=day,
                checkin=checkin,
                created_at=now,
            )
            for (competency, level, _), note in zip(items, notes, strict=True)
        ]
        for row in [checkin, *rows]:
            row._state.adding = False
            row._state.db = DEFAULT_DB_ALIAS
        if on_recorded is not None:
            on_recorded(rows)
    return checkin, rows


def checkin_dates_refresh(*, checkin_ids: Sequence[int]) -> None:
    """Set each check-in's `assessed_on` to the latest day of its items, for writers that add
    check-ins and their items in bulk (imports); `checkin_record` sets it itself. One
    statement: a caller with many check-ins passes them in batches that fit SQLite's limit on
    parameters."""
    latest_item = (
        SelfAssessment.objects.filter(checkin=OuterRef("pk"))
        .order_by()
        .values("checkin")
        .annotate(day=Max("assessed_on"))
        .values("day")
    )
    CheckIn.objects.filter(pk__in=checkin_ids).update(assessed_on=Subquery(latest_item))


def _recorded(*, token: uuid.UUID, learner: User) -> CheckIn | None:
    """The check-in recorded with `token`, if any; someone else's is a conflict."""
    existing = CheckIn.objects.filter(client_token=token).first()
    if existing is not None and existing.learner_id != learner.pk:
        raise CheckInTokenConflictError(str(token))
    return existing

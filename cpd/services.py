"""Writes for the CPD diary and licensing cycles. Keyword-only, atomic, one behaviour for the
pages, the API and the learning catalogue's completions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cpd.models import (
    BUILT_IN_CREDIT_TYPES,
    CpdActivity,
    CreditType,
    LicensingCycle,
    add_months,
)
from portfolio.models import Evidence
from portfolio.services import competencies_in_use

MAX_HOURS = Decimal(1000)
MAX_CREDITS = Decimal(10000)
# What a completed catalogue item with CME credit is recorded as: the catalogue lists
# accredited activities, whose credit is Category 1.
CATALOGUE_CREDIT_TYPE = "ama-pra-category-1"


def _decimal(
    value: Decimal | str | int | float, field: str, errors: dict[str, list[str]]
) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append("Enter a number.")
        return Decimal(0)
    if not number.is_finite():
        errors.setdefault(field, []).append("Enter a number.")
        return Decimal(0)
    return number


def _own_evidence(learner: User, evidence_ids: Iterable[int]) -> list[Evidence]:
    wanted = {int(pk) for pk in evidence_ids}
    if not wanted:
        return []
    found = list(Evidence.objects.filter(pk__in=wanted, learner=learner))
    if len(found) != len(wanted):
        raise ValidationError({"evidence": ["Link only evidence from your own portfolio."]})
    return found


def _checked(
    *,
    learner: User,
    occurred_on: dt.date,
    title: str,
    provider: str,
    credit_type: str,
    hours: Decimal | str,
    notes: str,
    competency_ids: Iterable[int],
    evidence_ids: Iterable[int],
) -> dict[str, object]:
    """The activity's values after every rule; all problems at once, nothing written."""
    errors: dict[str, list[str]] = {}
    title = title.strip()
    if not title:
        errors["title"] = ["Give the activity a title."]
    elif len(title) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    if len(provider) > 200:
        errors["provider"] = ["Keep the provider under 200 characters."]
    if len(notes) > 4000:
        errors["notes"] = ["Keep the notes under 4000 characters."]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = ["An activity cannot be dated in the future."]
    amount = _decimal(hours, "hours", errors)
    if "hours" not in errors and not Decimal(0) < amount <= MAX_HOURS:
        errors["hours"] = [f"Hours are more than 0 and at most {MAX_HOURS}."]
    elif "hours" not in errors and amount != amount.quantize(Decimal("0.01")):
        errors["hours"] = ["Give hours to the hundredth at most."]
    kind = CreditType.objects.filter(code=credit_type, is_active=True).first()
    if kind is None:
        errors["credit_type"] = ["Choose a credit type from the list."]
    competencies, evidence = [], []
    try:
        competencies = competencies_in_use(learner=learner, competency_ids=competency_ids)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        evidence = _own_evidence(learner, evidence_ids)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return {
        "occurred_on": occurred_on,
        "title": title,
        "provider": provider.strip(),
        "credit_type": kind,
        "hours": amount,
        "notes": notes.strip(),
        "competencies": competencies,
        "evidence": evidence,
    }


def cpd_activity_record(
    *,
    learner: User,
    occurred_on: dt.date,
    title: str,
    credit_type: str,
    hours: Decimal | str,
    provider: str = "",
    notes: str = "",
    competency_ids: Iterable[int] = (),
    evidence_ids: Iterable[int] = (),
    client_token: uuid.UUID | None = None,
    source: str = "",
) -> tuple[CpdActivity, bool]:
    """Add an activity to the learner's diary. Competencies come from the frameworks they
    follow now, evidence from their own portfolio.

    Idempotent on `client_token` (a double submit) and on `source` (a catalogue completion
    landing twice): the first activity comes back with `created=False`."""
    existing = _existing(learner=learner, client_token=client_token, source=source)
    if existing is not None:
        return existing, False
    values = _checked(
        learner=learner,
        occurred_on=occurred_on,
        title=title,
        provider=provider,
        credit_type=credit_type,
        hours=hours,
        notes=notes,
        competency_ids=competency_ids,
        evidence_ids=evidence_ids,
    )
    competencies, evidence = values.pop("competencies"), values.pop("evidence")
    try:
        with transaction.atomic():
            activity = CpdActivity.objects.create(
                learner=learner, client_token=client_token, source=source, **values
            )
            activity.competencies.set(competencies)  # type: ignore[arg-type]
            activity.evidence.set(evidence)  # type: ignore[arg-type]
    except IntegrityError:
        existing = _existing(learner=learner, client_token=client_token, source=source)
        if existing is None:
            raise
        return existing, False
    return activity, True


def _existing(*, learner: User, client_token: uuid.UUID | None, source: str) -> CpdActivity | None:
    if client_token is not None:
        found = CpdActivity.objects.filter(client_token=client_token).first()
        if found is not None:
            if found.learner_id != learner.pk:
                raise ValidationError({"client_token": ["This token is already used."]})
            return found
    if source:
        return CpdActivity.objects.filter(learner=learner, source=source).first()
    return None


@transaction.atomic
def cpd_activity_update(
    *,
    activity: CpdActivity,
    occurred_on: dt.date,
    title: str,
    credit_type: str,
    hours: Decimal | str,
    provider: str = "",
    notes: str = "",
    competency_ids: Iterable[int] = (),
    evidence_ids: Iterable[int] = (),
) -> CpdActivity:
    """Change an activity of the diary; the same rules as recording one."""
    values = _checked(
        learner=activity.learner,
        occurred_on=occurred_on,
        title=title,
        provider=provider,
        credit_type=credit_type,
        hours=hours,
        notes=notes,
        competency_ids=competency_ids,
        evidence_ids=evidence_ids,
    )
    activity.competencies.set(values.pop("competencies"))  # type: ignore[arg-type]
    activity.evidence.set(values.pop("evidence"))  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(activity, name, value)
    activity.save()
    return activity


def cpd_activity_delete(*, activity: CpdActivity) -> None:
    activity.delete()


def cpd_activity_from_completion(
    *,
    learner: User,
    resource_key: str,
    title: str,
    hours: Decimal,
    occurred_on: dt.date,
    competency_ids: Iterable[int] = (),
    evidence_ids: Iterable[int] = (),
) -> CpdActivity:
    """A completed catalogue item with CME credit, as a diary activity: once per item. The
    completion never fails for want of its credit type: the shipped one is put back."""
    code, name, is_category_1, order = next(
        t for t in BUILT_IN_CREDIT_TYPES if t[0] == CATALOGUE_CREDIT_TYPE
    )
    CreditType.objects.update_or_create(
        code=code,
        defaults={"is_active": True},
        create_defaults={"name": name, "is_category_1": is_category_1, "order": order},
    )
    activity, _ = cpd_activity_record(
        learner=learner,
        occurred_on=occurred_on,
        title=title[:200],
        provider="Continuum learning catalogue",
        credit_type=CATALOGUE_CREDIT_TYPE,
        hours=hours,
        competency_ids=competency_ids,
        evidence_ids=evidence_ids,
        source=f"learning:{resource_key}",
    )
    return activity


@transaction.atomic
def licensing_cycle_save(
    *,
    learner: User,
    name: str,
    start_date: dt.date,
    length_months: int,
    credits_required: Decimal | str,
    category_1_required: Decimal | str,
    cycle: LicensingCycle | None = None,
) -> LicensingCycle:
    """Set a licensing cycle as the learner reads their board's rules (a new one, or
    `cycle` changed)."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = ["Name the licence or certification."]
    elif len(name) > 120:
        errors["name"] = ["Keep the name under 120 characters."]
    if not isinstance(length_months, int) or not 1 <= length_months <= 120:
        errors["length_months"] = ["A cycle lasts from 1 to 120 months."]
    total = _decimal(credits_required, "credits_required", errors)
    category_1 = _decimal(category_1_required, "category_1_required", errors)
    if "credits_required" not in errors and not Decimal(0) < total <= MAX_CREDITS:
        errors["credits_required"] = [f"Credits required are more than 0, at most {MAX_CREDITS}."]
    if "category_1_required" not in errors and category_1 < 0:
        errors["category_1_required"] = ["Category 1 credits cannot be negative."]
    elif not errors.keys() & {"category_1_required", "credits_required"} and category_1 > total:
        errors["category_1_required"] = ["Category 1 credits are part of the total."]
    for field, number in (("credits_required", total), ("category_1_required", category_1)):
        if field not in errors and number != number.quantize(Decimal("0.01")):
            errors[field] = ["Give credits to the hundredth at most."]
    if errors:
        raise ValidationError(errors)
    cycle = cycle or LicensingCycle(learner=learner)
    cycle.name = name
    cycle.start_date = start_date
    cycle.length_months = length_months
    cycle.end_date = add_months(start_date, length_months)
    cycle.credits_required = total
    cycle.category_1_required = category_1
    cycle.save()
    return cycle


def licensing_cycle_delete(*, cycle: LicensingCycle) -> None:
    cycle.delete()


@transaction.atomic
def cpd_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): the diary is the person's own; it goes with them."""
    CpdActivity.objects.filter(learner=user).delete()
    LicensingCycle.objects.filter(learner=user).delete()

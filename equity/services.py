"""Writes of the equity app: a learner's own characteristics, and the stored fits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from equity.models import (
    AssessorSignal,
    Characteristic,
    CharacteristicCategory,
    CharacteristicOption,
    CharacteristicUse,
    EquityFit,
)
from equity.selectors import categories_for
from equity.suppression import INSTITUTION
from programs.models import Institution


class CharacteristicError(ValueError):
    """Bad input for a characteristic, with a message for the person."""

    def __init__(self, message: str, field: str = "category"):
        super().__init__(message)
        self.field = field


def characteristic_record(
    *,
    learner: User,
    category_key: str,
    option_key: str | None,
    prefer_not_to_say: bool = False,
) -> Characteristic:
    """Record (or change) the learner's answer in a category their institution configured.
    A category or option the institution did not configure is refused, nothing written."""
    category = categories_for(learner=learner).filter(key=category_key).first()
    if category is None:
        raise CharacteristicError(
            f"“{category_key}” is not a category your institution asks about."
        )
    option = None
    if prefer_not_to_say:
        if option_key:
            raise CharacteristicError(
                "Choose an answer or “prefer not to say”, not both.", field="option"
            )
    else:
        if not option_key:
            raise CharacteristicError("Choose an answer, or “prefer not to say”.", field="option")
        option = CharacteristicOption.objects.filter(category=category, key=option_key).first()
        if option is None:
            raise CharacteristicError(
                f"“{option_key}” is not an answer of {category.name}.", field="option"
            )
    with transaction.atomic():
        answer, _ = Characteristic.objects.update_or_create(
            learner=learner,
            category=category,
            defaults={
                "option": option,
                "prefer_not_to_say": prefer_not_to_say,
                "updated_at": timezone.now(),
            },
        )
    return answer


def characteristic_delete(*, learner: User, category_key: str) -> bool:
    """Delete the learner's answer in a category; False if there was none."""
    with transaction.atomic():
        deleted, _ = Characteristic.objects.filter(
            learner=learner, category__key=category_key
        ).delete()
    return bool(deleted)


@dataclass
class RefreshResult:
    fits: int
    signals: int
    uses: int


def equity_fits_refresh(*, institution: Institution, today: dt.date | None = None) -> RefreshResult:
    """Fit every scope (each program and the institution) for every active category, from the
    closed periods, and store the results with a freshness stamp; replace each assessor's
    signals; record one aggregate use per learner whose answer a shown cell counted. Running
    it twice stores the same numbers (and notes the uses again, with the new time)."""
    # Imported here: the fitting's statsmodels, scipy and pandas take seconds and about 150 MB
    # to import, and every process that erases an account imports this module; only the
    # fitting task needs them.
    from equity.fitting import category_compute, dataset_load

    today = today or timezone.localdate()
    categories = list(
        CharacteristicCategory.objects.filter(institution=institution, is_active=True)
        .prefetch_related("options")
        .order_by("order", "pk")
    )
    data = dataset_load(institution=institution, today=today)
    through = data.data_through
    result = RefreshResult(0, 0, 0)
    if through is None:
        return result
    now = timezone.now()
    for category in categories:
        computed = category_compute(data, category)
        with transaction.atomic():
            for scope, scoped in computed.scopes.items():
                program = None if scope == INSTITUTION else data.programs[int(scope.split(":")[1])]
                label = program.name if program else f"{institution.name} (all programs)"
                EquityFit.objects.update_or_create(
                    institution=institution,
                    program=program,
                    category=category,
                    defaults={
                        "computed_at": now,
                        "data_through": through,
                        "cells": scoped.cells,
                        "estimates": scoped.estimates,
                        "groups": computed.groups,
                        "periods": computed.periods,
                    },
                )
                result.fits += 1
                CharacteristicUse.objects.bulk_create(
                    CharacteristicUse(
                        learner_id=learner, category=category, scope=label, used_at=now
                    )
                    for learner in sorted(scoped.counted)
                )
                result.uses += len(scoped.counted)
            AssessorSignal.objects.filter(
                category=category, program__institution=institution
            ).delete()
            for assessor, by_program in computed.signals.items():
                for program_id, rows in by_program.items():
                    AssessorSignal.objects.create(
                        assessor_id=assessor,
                        program_id=program_id,
                        category=category,
                        computed_at=now,
                        rows=rows,
                    )
                    result.signals += 1
    return result


def equity_erase_for_user(*, user: User) -> None:
    """Erasure removes the person's answers, the record of their uses and their own signals.
    Stored fits hold no one's answer, only cells of at least five learners: they stay."""
    Characteristic.objects.filter(learner=user).delete()
    CharacteristicUse.objects.filter(learner=user).delete()
    AssessorSignal.objects.filter(assessor=user).delete()

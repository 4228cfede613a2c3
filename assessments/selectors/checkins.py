"""Reads for assessments.

Self-assessments and check-ins are learner-owned and private by default; who else may read
them is decided by `portfolio.selectors` (`checkins_visible_to`, `self_assessments_visible_to`),
the one place for sharing rules. The reads here serve the learner's own check-in pages.
Assessments by others get their own section below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import User
from assessments.models import SelfAssessment
from core.db import CompiledQuery
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from programs.selectors import frameworks_in_use

# --- Self-assessments and check-ins --------------------------------------------------------


@dataclass
class CheckInPage:
    """What a check-in page needs: the framework, its scale and the items to rate."""

    framework: Framework
    levels: list[ScaleLevel]
    items: list[Any]  # Competency rows annotated with last_level and last_on


def checkin_frameworks(*, learner: User) -> QuerySet[Framework]:
    """Frameworks the learner may check in against: those of their current programs."""
    return frameworks_in_use(learner=learner)


def checkin_page(
    *, learner: User, framework_id: int, competency_id: int | None = None
) -> CheckInPage | None:
    """The ratable competencies of one framework the learner uses (or just one of them), each
    with its level descriptors and the learner's latest self level. Four queries; None when
    the framework or competency is not one the learner may rate."""
    framework = checkin_frameworks(learner=learner).filter(pk=framework_id).first()
    if framework is None:
        return None
    latest = SelfAssessment.objects.filter(learner=learner, competency=OuterRef("pk")).order_by(
        "-assessed_on", "-created_at", "-id"
    )
    items = (
        Competency.objects.filter(framework=framework, children__isnull=True)
        .select_related("parent")
        .prefetch_related(
            Prefetch("descriptors", queryset=LevelDescriptor.objects.order_by("level"))
        )
        .annotate(
            last_level=Subquery(latest.values("level")[:1]),
            last_on=Subquery(latest.values("assessed_on")[:1]),
        )
        .order_by("order", "id")
    )
    if competency_id is not None:
        items = items.filter(pk=competency_id)
    competencies = list(items)
    if competency_id is not None and not competencies:
        return None
    levels = list(ScaleLevel.objects.filter(scale_id=framework.scale_id).order_by("value"))
    return CheckInPage(framework=framework, levels=levels, items=competencies)


@dataclass(frozen=True)
class Ratable:
    """A competency the learner may rate now (with its framework and the framework's scale,
    as a check-in's answer shows them), and the levels of that scale."""

    competency: Competency
    levels: frozenset[Decimal]


_COMPETENCY_FIELDS = ["id", "framework_id", "code", "title", "order"]
_FRAMEWORK_FIELDS = ["id", "code", "version", "scale_id"]
_SCALE_FIELDS = ["id", "name"]


def _ratable(*, learner_id: int, **competency_ids: int) -> QuerySet[Competency, tuple[Any, ...]]:
    # One row per competency and level of its scale (a scale without levels: one row, None).
    return (
        Competency.objects.filter(
            pk__in=list(competency_ids.values()),
            children__isnull=True,
            framework__in=frameworks_in_use(learner=User(pk=learner_id)),
        )
        .order_by()
        .values_list(
            *_COMPETENCY_FIELDS,
            *[f"framework__{f}" for f in _FRAMEWORK_FIELDS],
            *[f"framework__scale__{f}" for f in _SCALE_FIELDS],
            "framework__scale__levels__value",
        )
    )


# Every check-in looks its items up: building this statement with the ORM cost many times
# what the database spends on it (see CompiledQuery); compiled once per number of items.
_RATABLE = CompiledQuery(_ratable)


def ratable_competencies(*, learner: User, competency_ids: Sequence[int]) -> dict[int, Ratable]:
    """Of `competency_ids`, those the learner may rate now — leaves of the frameworks they
    use (`frameworks_in_use`) — by id, each with its scale's levels. One query."""
    if not competency_ids:
        return {}
    arguments = {f"competency_{i}": int(pk) for i, pk in enumerate(competency_ids)}
    rows = _RATABLE.read(learner_id=learner.pk, **arguments).run()
    split = len(_COMPETENCY_FIELDS)
    end = split + len(_FRAMEWORK_FIELDS)
    competencies: dict[int, Competency] = {}
    levels: dict[int, set[Decimal]] = {}
    for row in rows:
        pk = row[0]
        if pk not in competencies:
            competency = Competency.from_db(DEFAULT_DB_ALIAS, _COMPETENCY_FIELDS, row[:split])
            framework = Framework.from_db(DEFAULT_DB_ALIAS, _FRAMEWORK_FIELDS, row[split:end])
            framework.scale = RatingScale.from_db(DEFAULT_DB_ALIAS, _SCALE_FIELDS, row[end:-1])
            competency.framework = framework
            competencies[pk] = competency
            levels[pk] = set()
        if row[-1] is not None:
            levels[pk].add(row[-1])
    return {pk: Ratable(c, frozenset(levels[pk])) for pk, c in competencies.items()}


def level_text(descriptors: dict[Decimal, str], value: Decimal) -> str:
    """A descriptor for any level: its own, or for a half level, the two it sits between."""
    if value in descriptors:
        return descriptors[value]
    below = max((v for v in descriptors if v < value), default=None)
    above = min((v for v in descriptors if v > value), default=None)
    if below is not None and above is not None:
        return (
            f"Between level {below.normalize():f} and level {above.normalize():f}: "
            f"more than “{descriptors[below]}”, not yet consistently “{descriptors[above]}”."
        )
    return ""

"""Reads for assessments.

Self-assessments and check-ins are learner-owned and private by default; who else may read
them is decided by `portfolio.selectors` (`checkins_visible_to`, `self_assessments_visible_to`),
the one place for sharing rules. The reads here serve the learner's own check-in pages.
Assessments by others get their own section below.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import User
from assessments.models import SelfAssessment
from frameworks.models import Competency, Framework, LevelDescriptor, ScaleLevel
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

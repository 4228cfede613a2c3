"""Reads for precision learning, scoped to who is asking.

The catalogue is reference data: every signed-in person may read it. Recommendations,
feedback, upcoming visits and anticipatory learning belong to one learner and are only ever
read by that learner — nobody else, coach or director included, sees them.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from learning.anticipatory import ClinicDay, anticipatory_learning
from learning.codes import normalise_code, system_of
from learning.models import (
    ICD10CM,
    SNOMED,
    LearningResource,
    PractitionerLink,
    Recommendation,
    UpcomingVisit,
)
from learning.ranking import RankedResource, rank_resources


def catalogue_list(
    *, q: str = "", kind: str = "", competency: str = "", code: str = ""
) -> QuerySet[LearningResource]:
    """Active resources with competencies and codes prefetched (three queries), filtered by
    words in the title/description/keywords, kind, competency code, or clinical code
    ('E11.9', 'icd10cm:E11.9' or 'snomed:44054006')."""
    resources = LearningResource.objects.active().with_tags().order_by("title", "pk")
    if q:
        resources = resources.filter(
            Q(title__icontains=q) | Q(description__icontains=q) | Q(keywords__icontains=q)
        )
    if kind:
        resources = resources.filter(kind=kind)
    if competency:
        resources = resources.filter(competencies__code__iexact=competency).distinct()
    if code:
        system_name, _sep, value = code.rpartition(":")
        system = system_of(system_name) if system_name else None
        systems = [system] if system else [SNOMED, ICD10CM]
        codes = {n for s in systems if (n := normalise_code(s, value))} or {value.strip()}
        condition = Q(codes__code__in=codes)
        if system:
            condition &= Q(codes__system=system)
        resources = resources.filter(condition).distinct()
    return resources


def resource_detail() -> QuerySet[LearningResource]:
    return LearningResource.objects.active().with_tags()


def feedback_of(*, learner: User) -> dict[int, Recommendation]:
    """The learner's own feedback, by resource id (one query)."""
    return {r.resource_id: r for r in Recommendation.objects.filter(learner=learner)}


def recommendations_for(*, learner: User, limit: int | None = 10) -> list[RankedResource]:
    """The learner's own ranked recommendations with reasons (see learning.ranking)."""
    return rank_resources(learner=learner, limit=limit)


def anticipatory_learning_for(
    *, learner: User, start: dt.date | None = None, days: int = 7
) -> list[ClinicDay]:
    """Refreshers for the learner's own upcoming clinic days (see learning.anticipatory)."""
    return anticipatory_learning(learner=learner, start=start, days=days)


def visits_of(*, learner: User, start: dt.date | None = None) -> QuerySet[UpcomingVisit]:
    """The learner's own upcoming visits from `start` (today by default), soonest first."""
    return (
        UpcomingVisit.objects.filter(learner=learner)
        .active()
        .from_date(start or timezone.localdate())
        .order_by("visit_date", "starts_at", "pk")
    )


def visits_owned_by(*, learner: User) -> QuerySet[UpcomingVisit]:
    """Every visit row of the learner; others' visits are simply not in it (so: 404)."""
    return UpcomingVisit.objects.filter(learner=learner)


def practitioner_link_of(*, learner: User) -> PractitionerLink | None:
    """The learner's Practitioner id for bundles they upload themselves."""
    return PractitionerLink.objects.filter(learner=learner, source__isnull=True).first()


def next_clinic_refreshers(*, learner: User, days: int = 7) -> ClinicDay | None:
    """The learner's next clinic day (within `days`) that has refreshers, for the home page."""
    for clinic in anticipatory_learning(learner=learner, days=days):
        if clinic.items:
            return clinic
    return None

"""Framework reads. Frameworks are reference data: every signed-in person may read them."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from frameworks.models import Competency, CompetencyLink, Framework


def framework_list() -> QuerySet[Framework]:
    """Every framework version with its scale, node count and ratable-item count (one query)."""
    ratable = (
        Competency.objects.ratable()
        .filter(framework=OuterRef("pk"))
        .order_by()
        .values("framework")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Framework.objects.select_related("scale")
        .annotate(
            competency_count=Count("competencies"),
            ratable_count=Coalesce(Subquery(ratable, output_field=IntegerField()), 0),
        )
        .order_by("code", "-version")
    )


def framework_detail() -> QuerySet[Framework]:
    """Frameworks with their whole tree, scale and descriptors in a fixed number of queries."""
    return Framework.objects.with_tree()


def frameworks_served_by_case(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Framework]:
    """The versions the CASE REST API shows someone: public ones to anyone; every version to a
    signed-in person or a token's owner (frameworks are reference data)."""
    frameworks = Framework.objects.select_related("scale")
    if user.is_authenticated and user.is_active:
        return frameworks
    return frameworks.filter(public=True)


def framework_links_from(*, framework: Framework) -> QuerySet[CompetencyLink]:
    """Links from this version's items to items of other frameworks (one query)."""
    return (
        CompetencyLink.objects.filter(origin__framework=framework)
        .select_related("origin", "destination", "destination__framework")
        .order_by("origin__order", "destination__framework__code", "destination__order", "pk")
    )


def competency_links() -> QuerySet[CompetencyLink]:
    """Every link between frameworks, with both items and their frameworks (administrators'
    list; frameworks are reference data)."""
    return CompetencyLink.objects.select_related(
        "origin", "origin__framework", "destination", "destination__framework"
    ).order_by("origin__framework__code", "origin__framework__version", "origin__order", "pk")


def linked_competency_ids(*, competency_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each given competency, the competencies linked to it in either direction (one
    query). The learner's timeline uses it to show evidence from one stage of training
    against the competencies of the next."""
    ids = list(competency_ids)
    out: dict[int, set[int]] = {}
    rows = CompetencyLink.objects.filter(
        Q(origin_id__in=ids) | Q(destination_id__in=ids)
    ).values_list("origin_id", "destination_id")
    wanted = set(ids)
    for origin, destination in rows:
        if origin in wanted:
            out.setdefault(origin, set()).add(destination)
        if destination in wanted:
            out.setdefault(destination, set()).add(origin)
    return out

"""Framework reads. Frameworks are reference data: every signed-in person may read them."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from frameworks.models import Competency, Framework


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

"""Framework reads. Frameworks are reference data: every signed-in person may read them."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from frameworks.models import Framework


def framework_list() -> QuerySet[Framework]:
    return (
        Framework.objects.select_related("scale")
        .annotate(competency_count=Count("competencies"))
        .order_by("code", "-version")
    )


def framework_detail() -> QuerySet[Framework]:
    """Frameworks with their whole tree, scale and descriptors in a fixed number of queries."""
    return Framework.objects.with_tree()

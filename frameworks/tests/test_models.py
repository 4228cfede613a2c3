"""Model behaviour: which competencies are ratable."""

from __future__ import annotations

import pytest

from frameworks.models import Competency
from frameworks.tests.factories import CompetencyFactory, FrameworkFactory, framework_tree

pytestmark = pytest.mark.django_db


def test_ratable_competencies_are_the_leaves_of_the_tree():
    framework = framework_tree(domains=2, items=2)

    codes = sorted(
        Competency.objects.filter(framework=framework).ratable().values_list("code", flat=True)
    )

    assert codes == ["D0.0", "D0.1", "D1.0", "D1.1"]


def test_top_level_items_without_children_are_ratable():
    framework = FrameworkFactory(kind="epa")
    CompetencyFactory(framework=framework, code="EPA1")
    domain = CompetencyFactory(framework=framework, code="X")
    CompetencyFactory(framework=framework, code="X1", parent=domain)

    codes = sorted(
        Competency.objects.filter(framework=framework).ratable().values_list("code", flat=True)
    )

    assert codes == ["EPA1", "X1"]


def test_ratable_composes_with_other_filters_without_duplicates():
    framework_tree(domains=1, items=3)
    framework_tree(domains=1, items=1)

    assert Competency.objects.ratable().count() == 4
    assert Competency.objects.ratable().filter(code="D0.0").count() == 2


def test_is_ratable_annotation_agrees_with_ratable():
    framework_tree(domains=2, items=2)

    flags = {c.pk: c.is_ratable for c in Competency.objects.with_is_ratable()}

    assert {pk for pk, ratable in flags.items() if ratable} == set(
        Competency.objects.ratable().values_list("pk", flat=True)
    )
    assert list(flags.values()).count(False) == 2

"""After a transition, the timeline shows the learner's medical-school evidence against their
residency competencies, through the links administrators made between frameworks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from frameworks.models import Competency
from frameworks.services import competency_link_create, frameworks_load_shipped
from frameworks.tests.factories import framework_tree
from portfolio.carried import carried_evidence_of
from portfolio.models import Evidence
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(db):
    """A learner who finished medical school (an ended enrollment) and is now a PGY-1 in a
    program that follows the Internal Medicine milestones."""
    frameworks_load_shipped()
    user = factories.UserFactory(email="resident@example.org")
    school = factories.ProgramFactory(name="MD program", stage="ume")
    school.frameworks.set([_framework("aamc-core-epas")])
    factories.EnrollmentFactory(
        learner=user, program=school, start_date=dt.date(2021, 8, 1), end_date=dt.date(2025, 5, 30)
    )
    residency = factories.ProgramFactory(name="IM residency", stage="gme")
    residency.frameworks.set([_framework("im-milestones")])
    factories.EnrollmentFactory(learner=user, program=residency, start_date=dt.date(2025, 7, 1))
    return user


def _framework(code: str):
    from frameworks.models import Framework

    return Framework.objects.get(code=code)


def _item(framework: str, code: str) -> Competency:
    return Competency.objects.get(framework__code=framework, code=code)


def _evidence(learner, title: str, *competencies: Competency, on: dt.date) -> Evidence:
    evidence = Evidence.objects.create(
        learner=learner, kind=Evidence.Kind.REFLECTION, title=title, occurred_on=on
    )
    evidence.competencies.set(competencies)
    return evidence


def test_school_evidence_shows_against_the_linked_residency_competencies(client, resident):
    epa1 = _item("aamc-core-epas", "EPA1")
    competency_link_create(
        origin=epa1, destination=_item("im-milestones", "PC1"), kind="isRelatedTo"
    )
    competency_link_create(
        origin=epa1, destination=_item("im-milestones", "PC2"), kind="isRelatedTo"
    )
    history = _evidence(resident, "Took a full history on the ward", epa1, on=dt.date(2024, 3, 4))
    _evidence(resident, "Unlinked EPA", _item("aamc-core-epas", "EPA13"), on=dt.date(2024, 3, 5))

    carried = carried_evidence_of(learner=resident)

    assert [(c.competency.code, [e.title for e in c.evidence]) for c in carried] == [
        ("PC1", ["Took a full history on the ward"]),
        ("PC2", ["Took a full history on the ward"]),
    ]
    assert carried[0].evidence[0].via == "EPA1 (aamc-core-epas 2014)"
    client.force_login(resident)
    page = client.get(reverse("portfolio-timeline")).content.decode()
    assert "Evidence you bring" in page
    assert f'href="{reverse("evidence-detail", args=[history.pk])}"' in page
    assert "Unlinked EPA" not in page


def test_the_api_gives_the_same_as_the_page(client, resident):
    epa1 = _item("aamc-core-epas", "EPA1")
    pc1 = _item("im-milestones", "PC1")
    competency_link_create(origin=epa1, destination=pc1, kind="isRelatedTo")
    evidence = _evidence(resident, "History", epa1, on=dt.date(2024, 3, 4))
    client.force_login(resident)

    body = client.get("/api/v1/me/carried-evidence/").json()

    assert body == [
        {
            "competency": {
                "id": pc1.pk,
                "code": "PC1",
                "title": pc1.title,
                "framework": "im-milestones",
                "version": "2.0",
            },
            "evidence": [
                {
                    "evidence_id": evidence.pk,
                    "title": "History",
                    "occurred_on": "2024-03-04",
                    "via": "EPA1 (aamc-core-epas 2014)",
                }
            ],
        }
    ]


def test_a_link_counts_in_both_directions(resident):
    pc1 = _item("im-milestones", "PC1")
    epa1 = _item("aamc-core-epas", "EPA1")
    competency_link_create(origin=pc1, destination=epa1, kind="isRelatedTo")
    _evidence(resident, "History", epa1, on=dt.date(2024, 3, 4))

    assert [c.competency.code for c in carried_evidence_of(learner=resident)] == ["PC1"]


def test_nothing_is_carried_without_a_current_program(resident):
    from programs.models import Enrollment

    epa1 = _item("aamc-core-epas", "EPA1")
    competency_link_create(
        origin=epa1, destination=_item("im-milestones", "PC1"), kind="isRelatedTo"
    )
    _evidence(resident, "History", epa1, on=dt.date(2024, 3, 4))
    Enrollment.objects.filter(learner=resident).update(end_date=dt.date(2026, 1, 1))

    assert carried_evidence_of(learner=resident) == []


def test_evidence_tagged_with_the_current_frameworks_is_not_repeated(resident):
    pc1 = _item("im-milestones", "PC1")
    competency_link_create(
        origin=_item("aamc-core-epas", "EPA1"), destination=pc1, kind="isRelatedTo"
    )
    _evidence(resident, "Residency evidence", pc1, on=dt.date(2025, 9, 1))

    assert carried_evidence_of(learner=resident) == []


def test_another_learners_evidence_never_shows(resident, other_learner):
    epa1 = _item("aamc-core-epas", "EPA1")
    competency_link_create(
        origin=epa1, destination=_item("im-milestones", "PC1"), kind="isRelatedTo"
    )
    _evidence(other_learner, "Not yours", epa1, on=dt.date(2024, 3, 4))

    assert carried_evidence_of(learner=resident) == []


@pytest.mark.parametrize("count", [1, 8])
def test_carrying_evidence_runs_a_fixed_number_of_queries(
    resident, django_assert_num_queries, count
):
    school = framework_tree(domains=1, items=count, code="school-epas")
    for item, target in zip(
        school.competencies.filter(parent__isnull=False),
        Competency.objects.filter(framework__code="im-milestones", parent__isnull=False),
        strict=False,
    ):
        competency_link_create(origin=item, destination=target, kind="isRelatedTo")
        _evidence(resident, f"Evidence for {item.code}", item, on=dt.date(2024, 1, 1))

    # 1 the current programs' frameworks, 2 the evidence's competencies, 3 the links,
    # 4 the linked competencies of the current frameworks
    with django_assert_num_queries(4):
        carried = carried_evidence_of(learner=resident)

    assert sum(len(c.evidence) for c in carried) == count

"""Factories and helpers for the learning app's tests."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import factory
from django.utils import timezone

from frameworks.models import Competency, Framework
from learning.models import (
    ICD10CM,
    SNOMED,
    CodePair,
    LearningResource,
    PractitionerLink,
    Recommendation,
    ResourceCode,
    UpcomingVisit,
)
from tests.factories import FrameworkFactory, UserFactory

FHIR_DIR = Path(__file__).parent / "fhir"
IM_CODES = [
    "PC1",
    "PC2",
    "PC3",
    "PC4",
    "PC5",
    "PC6",
    "MK1",
    "MK2",
    "MK3",
    "SBP1",
    "SBP2",
    "SBP3",
    "PBLI1",
    "PBLI2",
    "PROF1",
    "PROF2",
    "PROF3",
    "PROF4",
    "ICS1",
    "ICS2",
    "ICS3",
]
EPA_CODES = [f"EPA{n}" for n in range(1, 14)]


class LearningResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningResource
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"resource-{n}")
    title = factory.Sequence(lambda n: f"Resource {n}")
    kind = LearningResource.Kind.ARTICLE
    duration_minutes = 10
    level_min = Decimal("1")
    level_max = Decimal("4")
    stages = factory.LazyFunction(list)
    reviewed_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))

    @factory.post_generation
    def competencies(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.competencies.set(extracted)

    @factory.post_generation
    def codes(obj, create, extracted, **kwargs):
        """codes=["icd10cm:E11.9", "snomed:44054006"]"""
        if create and extracted:
            for entry in extracted:
                system, code = entry.split(":", 1)
                ResourceCode.objects.create(
                    resource=obj, system=SNOMED if system == "snomed" else ICD10CM, code=code
                )


class CodePairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CodePair

    snomed_code = "44054006"
    icd10_code = "E11.9"


class RecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recommendation

    learner = factory.SubFactory(UserFactory)
    resource = factory.SubFactory(LearningResourceFactory)


class UpcomingVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UpcomingVisit

    learner = factory.SubFactory(UserFactory)
    resource_type = "Appointment"
    resource_id = factory.Sequence(lambda n: f"appt-{n}")
    visit_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=1))
    status = "booked"
    reasons = factory.LazyFunction(
        lambda: [{"system": ICD10CM, "code": "E11.65", "display": "Type 2 diabetes"}]
    )


class PractitionerLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PractitionerLink

    learner = factory.SubFactory(UserFactory)
    practitioner_id = "pr-learner"


def im_framework(code: str = "im-milestones", version: str = "2.0") -> Framework:
    """A framework shaped like the shipped IM milestones (domains omitted: leaves only)."""
    framework = FrameworkFactory(code=code, version=version, name=f"IM milestones {version}")
    for order, competency in enumerate(IM_CODES):
        Competency.objects.create(
            framework=framework, code=competency, title=f"{competency} title", order=order
        )
    return framework


def epa_framework() -> Framework:
    framework = FrameworkFactory(
        code="aamc-core-epas", version="2014", name="Core EPAs", kind=Framework.Kind.EPA
    )
    for order, competency in enumerate(EPA_CODES):
        Competency.objects.create(
            framework=framework, code=competency, title=f"{competency} title", order=order
        )
    return framework


def fhir_text(name: str, today: dt.date | None = None) -> str:
    """A fixture file with __DAY+n__ replaced by dates counted from today."""
    today = today or timezone.localdate()
    text = (FHIR_DIR / name).read_text()
    for offset in range(-3, 15):
        day = (today + dt.timedelta(days=offset)).isoformat()
        text = text.replace(f"__DAY+{offset}__" if offset >= 0 else f"__DAY{offset}__", day)
    return text


def fhir_json(name: str, today: dt.date | None = None) -> Any:
    return json.loads(fhir_text(name, today))


def bundle_of(*resources: dict[str, Any], bundle_type: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {"fullUrl": f"urn:uuid:entry-{i}", "resource": resource}
            for i, resource in enumerate(resources)
        ],
    }

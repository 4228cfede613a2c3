"""Factories and fixtures for assessment tests: an EPA framework on a 1–5 entrustment scale
with anchors, a milestone framework on 0–5 in half steps, both used by the `program` fixture;
and assessor ratings written outside the services, with the summaries kept exact as the
services keep them (tests of several apps use them: committee, portfolio, browser).

Import the fixtures into a test module with
`from assessments.tests.factories import *  # noqa: F403`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
import pytest

from assessments.models import Assessment, AssessmentForm, AssessmentRequest, AssessmentVersion
from assessments.services.forms import shipped_forms_ensure
from assessments.services.observations import RatingInput, observation_record
from assessments.summaries.monthly import assessor_summaries_refresh
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from tests import factories as base
from tests.factories import CompetencyFactory, UserFactory

ENTRUSTMENT = [
    (1, "Observe only", "Watches; does not yet do this part of care."),
    (2, "Direct supervision", "Does it with the supervisor in the room."),
    (3, "Indirect supervision", "Does it; the supervisor is close by and checks the key findings."),
    (4, "Unsupervised", "Does it alone; the supervisor reviews later."),
    (5, "Supervises others", "Could teach and oversee a more junior learner."),
]


def entrustment_scale() -> RatingScale:
    scale, created = RatingScale.objects.get_or_create(
        code="entrustment-test",
        defaults={"name": "Entrustment (test)", "kind": RatingScale.Kind.ENTRUSTMENT},
    )
    if created:
        ScaleLevel.objects.bulk_create(
            ScaleLevel(scale=scale, value=Decimal(v), label=label, anchor=anchor)
            for v, label, anchor in ENTRUSTMENT
        )
    return scale


def epa_framework(*, count: int = 3) -> tuple[Framework, list[Competency]]:
    framework = base.FrameworkFactory(
        code=f"epa-{uuid.uuid4().hex[:6]}",
        name="Core EPAs (test)",
        kind=Framework.Kind.EPA,
        scale=entrustment_scale(),
    )
    epas = [
        Competency.objects.create(
            framework=framework, code=f"EPA{i}", title=f"Activity number {i}", order=i
        )
        for i in range(1, count + 1)
    ]
    return framework, epas


def milestone_framework(*, per_domain: int = 3) -> tuple[Framework, list[Competency]]:
    framework = base.FrameworkFactory(
        code=f"ms-{uuid.uuid4().hex[:6]}", name="Milestones (test)", kind=Framework.Kind.MILESTONES
    )
    domain = Competency.objects.create(
        framework=framework, code="PC", title="Patient care", order=0
    )
    leaves = []
    for i in range(1, per_domain + 1):
        leaf = Competency.objects.create(
            framework=framework, parent=domain, code=f"PC{i}", title=f"Care skill {i}", order=i
        )
        LevelDescriptor.objects.bulk_create(
            LevelDescriptor(competency=leaf, level=Decimal(v), text=f"Looks like level {v}")
            for v in range(1, 6)
        )
        leaves.append(leaf)
    return framework, leaves


def observe(assessor: Any, learner: Any, leaf: Competency, level: Any, day: dt.date) -> Assessment:
    """One observation of `learner` on `leaf` through the service (so every summary follows),
    with a short narrative; returns its assessment."""
    return observation_record(
        assessor=assessor,
        learner_id=learner.pk,
        ratings=[RatingInput(leaf.pk, level)],
        went_well="Took a clear history.",
        next_step="Commit to a plan sooner.",
        observed_on=day,
        submission_key=uuid.uuid4(),
    ).assessments[0]


class AssessmentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentRequest
        skip_postgeneration_save = True

    learner = factory.SubFactory(base.UserFactory)
    assessor = factory.SubFactory(base.UserFactory)
    program = factory.SubFactory(base.ProgramFactory)
    framework = factory.SubFactory(base.FrameworkFactory)
    form = factory.LazyAttribute(
        lambda o: shipped_forms_ensure()[
            AssessmentForm.Rates.EPA
            if o.framework.kind == Framework.Kind.EPA
            else AssessmentForm.Rates.MILESTONES
        ]
    )
    setting = "ward"
    case_type = "chest pain"

    @factory.post_generation
    def competencies(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.competencies.set(extracted)


class ObservedAssessmentFactory(factory.django.DjangoModelFactory):
    """An assessment with its first version, as the services write it."""

    class Meta:
        model = Assessment
        skip_postgeneration_save = True

    assessor = factory.SubFactory(base.UserFactory)
    learner = factory.SubFactory(base.UserFactory)
    competency = factory.SubFactory(base.CompetencyFactory)
    level = Decimal("3")
    went_well = "Took a focused history and summarised it back to the patient."
    next_step = "Name the differential out loud before ordering tests."
    observed_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=1))
    source = Assessment.Source.OBSERVATION
    submission_key = factory.LazyFunction(uuid.uuid4)

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> Assessment:
        return super()._create(model_class, *args, **on_shipped_form(kwargs))

    @factory.post_generation
    def first_version(obj, create, extracted, **kwargs):
        if create:
            AssessmentVersion.objects.create(
                assessment=obj,
                version=1,
                kind=AssessmentVersion.Kind.ORIGINAL,
                level=obj.level,
                went_well=obj.went_well,
                next_step=obj.next_step,
                context=obj.context,
                observed_on=obj.observed_on,
                recorded_by=obj.assessor,
            )


@dataclass
class ObsWorld:
    program: Any
    learner: Any
    assessor: Any
    epa_framework: Framework
    epas: list[Competency]
    milestones: Framework
    subs: list[Competency]


@pytest.fixture
def obs(program, learner, assessor) -> ObsWorld:
    """The learner's program uses an EPA framework and a milestone framework; `assessor` is
    faculty there."""
    epa_fw, epas = epa_framework()
    ms_fw, subs = milestone_framework()
    program.frameworks.add(epa_fw, ms_fw)
    return ObsWorld(program, learner, assessor, epa_fw, epas, ms_fw, subs)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    assessor = factory.SubFactory(UserFactory)
    learner = factory.SubFactory(UserFactory)
    competency = factory.SubFactory(CompetencyFactory)
    level = Decimal("2")
    went_well = "Clear plan."
    next_step = "Broaden the differential."
    observed_on = dt.date(2025, 9, 1)

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> Assessment:
        return summarised(super()._create(model_class, *args, **on_shipped_form(kwargs)))


def on_shipped_form(fields: dict[str, Any]) -> dict[str, Any]:
    """An assessment's fields with, where not given, the shipped form of its framework's kind,
    that framework's scale and the counted level the form gives (as the services set them)."""
    competency = fields["competency"]
    framework = competency.framework
    forms = shipped_forms_ensure()
    rates = (
        AssessmentForm.Rates.EPA
        if framework.kind == Framework.Kind.EPA
        else AssessmentForm.Rates.MILESTONES
    )
    fields.setdefault("form", forms[rates])
    fields.setdefault("scale", fields["form"].scale or framework.scale)
    if "counted_level" not in fields:
        fields["counted_level"] = fields["form"].counted_level(Decimal(str(fields["level"])))
    return fields


def summarised(assessment: Assessment) -> Assessment:
    """Refresh the summaries for an assessment written outside the services, as
    `assessments.observations` does for the ones it records."""
    assessor_summaries_refresh(
        learner_id=assessment.learner_id,
        competency_ids=[assessment.competency_id],
        days=[assessment.observed_on],
    )
    return assessment

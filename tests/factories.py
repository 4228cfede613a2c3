"""factory_boy factories for every app's models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress

from accounts.models import User
from assessments.summaries.periods import period_summaries_refresh_enrollments
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from programs.models import Cohort, Enrollment, Institution, Program, ProgramRole

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    is_active = True

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=obj, email=obj.email, defaults={"verified": True, "primary": True}
            )


class RatingScaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingScale
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "milestone-test"
    name = "Milestone levels (test)"
    kind = RatingScale.Kind.MILESTONE

    @factory.post_generation
    def levels(obj, create, extracted, **kwargs):
        if not create or obj.levels.exists():
            return
        values = [Decimal(v) / 2 for v in range(0, 11)]  # 0, 0.5 … 5
        ScaleLevel.objects.bulk_create(
            ScaleLevel(scale=obj, value=v, label=f"Level {v}") for v in values
        )


class FrameworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Framework

    code = factory.Sequence(lambda n: f"fw-{n}")
    version = "1.0"
    name = factory.Sequence(lambda n: f"Framework {n}")
    kind = Framework.Kind.MILESTONES
    source = "Test fixture"
    scale = factory.SubFactory(RatingScaleFactory)


class CompetencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competency

    framework = factory.SubFactory(FrameworkFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    title = factory.Sequence(lambda n: f"Competency {n}")
    order = factory.Sequence(lambda n: n)


class LevelDescriptorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LevelDescriptor

    competency = factory.SubFactory(CompetencyFactory)
    level = Decimal("1")
    text = "Describes the level."


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Institution {n}")
    slug = factory.Sequence(lambda n: f"inst-{n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    institution = factory.SubFactory(InstitutionFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    stage = Program.Stage.GME
    specialty = "Internal Medicine"
    duration_years = 3


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Class {2020 + n}")
    start_year = 2025


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    learner = factory.SubFactory(UserFactory)
    program = factory.SubFactory(ProgramFactory)
    training_year = 1
    start_date = factory.LazyFunction(lambda: dt.date(2025, 7, 1))

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> Enrollment:
        enrollment = super()._create(model_class, *args, **kwargs)
        # As enrollment_create does: the learner's ratings now count in the program's periods.
        period_summaries_refresh_enrollments(
            learner_ids=[enrollment.learner_id], program_id=enrollment.program_id
        )
        return enrollment


class ProgramRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramRole

    user = factory.SubFactory(UserFactory)
    program = factory.SubFactory(ProgramFactory)
    role = ProgramRole.Role.FACULTY

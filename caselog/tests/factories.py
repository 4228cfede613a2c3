from __future__ import annotations

import datetime as dt

import factory

from caselog.models import CaseLogEntry, Procedure
from tests.factories import ProgramFactory, UserFactory


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"P-{n:03d}")
    name = factory.Sequence(lambda n: f"Procedure {n}")
    minimum = 3


class CaseLogEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseLogEntry

    learner = factory.SubFactory(UserFactory)
    procedure = factory.SubFactory(ProcedureFactory)
    performed_on = dt.date(2026, 3, 1)
    role = CaseLogEntry.Role.PERFORMED
    supervisor = factory.SubFactory(UserFactory)
    age_band = CaseLogEntry.AgeBand.ADULT
    sex = CaseLogEntry.Sex.FEMALE

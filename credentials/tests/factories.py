"""Credentials for tests, issued the way production issues them: a committee decision signed
off through the committee's own services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assessments.tests.factories import epa_framework
from committee.entrustment import entrustment_decision_record, entrustment_decision_sign_off
from credentials.models import Credential, IssuerKey
from credentials.services import issuer_key_rotate


def issuer_key(program: Any) -> IssuerKey:
    existing = IssuerKey.objects.filter(
        institution=program.institution, retired_at__isnull=True
    ).first()
    return existing or issuer_key_rotate(institution=program.institution)


def issued(*, program: Any, learner: Any, by: Any, level: str = "4") -> Credential:
    """Sign off an entrustment decision for the learner and return the credential it earned."""
    issuer_key(program)
    framework, epas = epa_framework()
    program.frameworks.add(framework)
    decision = entrustment_decision_record(
        program=program,
        learner_id=learner.pk,
        competency_id=epas[0].pk,
        level=level,
        decided_on=dt.date.today(),
        rationale="Consistent observations across settings.",
        by=by,
    )
    entrustment_decision_sign_off(decision=decision, by=by)
    return Credential.objects.get(decision=decision)

"""The case-log entry form creates once per rendered page (core.once)."""

from __future__ import annotations

import pytest

from caselog.models import CaseLogEntry
from caselog.tests.factories import ProcedureFactory
from tests.once import assert_created_once

pytestmark = pytest.mark.django_db


def test_an_entry_sent_twice_from_one_page_is_one_entry(client, learner, assessor, program):
    procedure = ProcedureFactory(program=program, code="CVC", name="Central line", minimum=2)
    client.force_login(learner)
    data = {
        "procedure": procedure.pk,
        "performed_on": "2026-03-02",
        "role": "performed",
        "supervisor": assessor.pk,
        "age_band": "adult",
        "sex": "female",
        "site": "General hospital ICU",
        "notes": "",
    }
    assert_created_once(
        client, "/case-log/new/", data, CaseLogEntry.objects.count, "case-log entry"
    )

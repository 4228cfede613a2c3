"""Every CSV the project writes keeps formula payloads from running in a spreadsheet.

The walk covers each CSV producer: the committee's consensus report, the framework download
page, the admin's export action, `manage.py export_framework`, the CPD transcript and the case log. A new CSV export belongs in
`csv_exports` below.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from caselog.tests.factories import CaseLogEntryFactory, ProcedureFactory
from committee import services as committee_services
from core.csv import FORMULA_STARTS
from cpd.models import CpdActivity, CreditType
from frameworks.models import Framework, LevelDescriptor, RatingScale, ScaleLevel
from portfolio.models import Evidence
from programs.tests.factories import ReviewPeriodFactory
from tests.factories import (
    CompetencyFactory,
    EnrollmentFactory,
    FrameworkFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAYLOADS = (
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://x")',
)


def payload(n: int) -> str:
    return PAYLOADS[n % len(PAYLOADS)]


def poisoned_framework() -> Framework:
    """A framework whose every free-text field, and its scale's, holds a payload."""
    scale = RatingScale.objects.create(code="poison", name=payload(0), kind="milestone")
    for value in (1, 2):
        ScaleLevel.objects.create(
            scale=scale, value=Decimal(value), label=payload(value), anchor=payload(value + 1)
        )
    framework = FrameworkFactory(
        code="poison",
        name=payload(1),
        source=payload(2),
        source_url="https://example.org/x",
        licence_note=payload(3),
        scale=scale,
    )
    domain = CompetencyFactory(framework=framework, code="D", title=payload(4), order=0)
    for n in range(1, len(PAYLOADS) + 1):
        item = CompetencyFactory(
            framework=framework,
            parent=domain,
            code=f"D{n}",
            title=payload(n),
            description=payload(n + 1),
            order=n,
        )
        LevelDescriptor.objects.create(competency=item, level=Decimal(1), text=payload(n + 2))
    return framework


def poisoned_consensus(program, director):
    """The consensus report's URL for a period whose names, learner and ratings are payloads."""
    framework = poisoned_framework()
    program.name = payload(0)
    program.save(update_fields=["name"])
    program.frameworks.add(framework)
    period = ReviewPeriodFactory(program=program, name=payload(1))
    learner = UserFactory(display_name=payload(2))
    enrollment = EnrollmentFactory(program=program, learner=learner)
    review = committee_services.learner_review_open(period=period, enrollment=enrollment)
    leaf = framework.competencies.filter(parent__isnull=False).first()
    assert leaf is not None
    committee_services.consensus_record(
        review=review, competency_id=leaf.pk, level=Decimal(1), rationale=payload(3), by=director
    )
    committee_services.consensus_record(
        review=review,
        competency_id=leaf.pk,
        level=Decimal(2),
        rationale=payload(4),
        amendment_reason=payload(5),
        by=director,
    )
    return f"/programs/{program.pk}/periods/{period.pk}/consensus.csv"


def _download(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode()


def csv_exports(client, program, director, admin):
    """Each CSV producer's output, by name, for data full of payloads."""
    consensus_url = poisoned_consensus(program, director)
    framework = Framework.objects.get(code="poison")
    out: dict[str, str] = {}
    client.force_login(director)
    out["consensus report"] = _download(client, consensus_url)
    out["framework download"] = _download(
        client, f"/frameworks/poison/{framework.version}/download.csv"
    )
    client.force_login(admin)
    response = client.post(
        "/admin/frameworks/framework/",
        {"action": "export_csv", "_selected_action": [framework.pk]},
    )
    assert response.status_code == 200
    out["admin export action"] = response.content.decode()
    stdout = StringIO()
    call_command("export_framework", "poison", framework.version, "--format", "csv", stdout=stdout)
    out["export_framework command"] = stdout.getvalue()
    out["CPD transcript"] = poisoned_cpd_transcript(client, program)
    out["case log"] = poisoned_case_log(client, program)
    return out


def poisoned_case_log(client, program):
    """A learner's case log whose procedure names, codes, sites and notes are payloads."""
    learner = UserFactory()
    EnrollmentFactory(program=program, learner=learner)
    for n in range(len(PAYLOADS)):
        CaseLogEntryFactory(
            learner=learner,
            procedure=ProcedureFactory(program=program, code=payload(n), name=payload(n + 1)),
            site=payload(n + 2),
            notes=payload(n + 3),
        )
    client.force_login(learner)
    return _download(client, "/case-log/export.csv")


def poisoned_cpd_transcript(client, program):
    """A learner's CPD transcript whose titles, providers, notes and evidence are payloads."""
    learner = UserFactory()
    EnrollmentFactory(program=program, learner=learner)
    for n in range(len(PAYLOADS)):
        evidence = Evidence.objects.create(learner=learner, kind="document", title=payload(n + 1))
        CpdActivity.objects.create(
            learner=learner,
            occurred_on=dt.date(2026, 1, 1 + n),
            title=payload(n),
            provider=payload(n + 2),
            notes=payload(n + 3),
            credit_type=CreditType.objects.get_or_create(
                code="ama-pra-category-2", defaults={"name": "AMA PRA Category 2 Credit"}
            )[0],
            hours=Decimal(1),
        ).evidence.add(evidence)
    client.force_login(learner)
    return _download(client, "/cpd/transcript.csv")


def test_no_csv_export_writes_a_live_formula(client, program, director, admin_user):
    exports = csv_exports(client, program, director, admin_user)

    assert len(exports) == 6
    for name, text in exports.items():
        cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
        live = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
        assert live == [], name
        # The payloads are there, neutralised: the check above is not passing on empty files.
        neutralised = {cell for cell in cells if cell[1:] in PAYLOADS and cell[0] == "'"}
        assert len(neutralised) >= 5, name

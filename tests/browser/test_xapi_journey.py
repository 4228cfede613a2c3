"""A simulation centre posts xAPI statements about a resident; she finds them in her incoming
learning, accepts one as evidence with the competency suggested for it, and finds it on her
evidence page and in her portfolio export — as she would in a browser."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from portfolio.models import Evidence
from tests import factories
from xapi.models import CompetencyMapping
from xapi.services.clients import lrs_client_create
from xapi.services.statements import statements_store
from xapi.validation import Rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIM_TYPE = "http://adlnet.gov/expapi/activities/simulation"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def post_statements(base_url: str, key: str, secret: str, statements: list[Any]) -> list[str]:
    """What the simulation centre's system does: POST over HTTP with Basic credentials."""
    request = urllib.request.Request(
        f"{base_url}/xapi/statements",
        data=json.dumps(statements).encode(),
        method="POST",
        headers={
            "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request) as response:
        return list(json.load(response))


def sim_statement(email: str, name: str, activity: str, **result: Any) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:{email}", "name": "Resident"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": {"en-US": "passed"}},
        "object": {
            "id": f"https://sim.example.org/stations/{activity}",
            "definition": {"name": {"en-US": name}, "type": SIM_TYPE},
        },
        "result": result,
        "timestamp": "2026-11-03T09:30:00Z",
    }


def test_simulation_statements_become_evidence_with_a_suggested_competency(
    page: Page, learner, program, login_as, live_server, snapshot, media
):
    framework = factories.FrameworkFactory()
    program.frameworks.add(framework)
    procedures = factories.CompetencyFactory(
        framework=framework, code="PC3", title="Performs procedures safely"
    )
    CompetencyMapping.objects.create(activity_type=SIM_TYPE, competency=procedures)
    credentials = lrs_client_create(name="Northbridge Simulation Centre")
    post_statements(
        live_server.url,
        credentials.key,
        credentials.secret,
        [
            sim_statement(
                learner.email,
                "Central line insertion",
                "central-line",
                score={"raw": 18, "max": 20},
                success=True,
                duration="PT40M",
            ),
            sim_statement(learner.email, "Airway management", "airway", success=True),
        ],
    )
    login_as(page, learner)

    page.goto("/learning/")
    page.get_by_role("link", name="Incoming").click()
    card = page.locator("article", has_text="Central line insertion")
    expect(card).to_contain_text("Northbridge Simulation Centre")
    expect(card).to_contain_text("Score 18/20, passed, 40 min")
    suggested = card.get_by_label("PC3 Performs procedures safely")
    expect(suggested).to_be_checked()
    expect(page.get_by_role("heading", name="Who can read statements about you")).to_be_visible()
    snapshot(page, "xapi-incoming")

    card.get_by_role("button", name="Accept as evidence").click()
    expect(page.get_by_text("to your evidence")).to_be_visible()
    evidence = Evidence.objects.get(learner=learner)
    assert list(evidence.competencies.all()) == [procedures]

    page.goto("/evidence/")
    expect(page.get_by_role("link", name="Passed: Central line insertion")).to_be_visible()
    page.goto("/learning/incoming/")
    expect(page.locator("article", has_text="Central line insertion")).to_have_count(0)
    page.locator("article", has_text="Airway management").get_by_role(
        "button", name="Dismiss"
    ).click()
    expect(page.get_by_text("Nothing waiting")).to_be_visible()

    page.goto("/export/")
    page.get_by_role("button", name="Export my portfolio").click()
    expect(page.get_by_role("link", name="Download the archive")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the archive").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "".join(
        archive.read(name).decode("utf-8", "replace")
        for name in archive.namelist()
        if name.endswith((".json", ".csv", ".md", ".html"))
    )
    assert "Passed: Central line insertion" in text
    assert "Northbridge Simulation Centre" in text


def test_incoming_learning_reads_well_on_a_phone(phone_page: Page, learner, login_as):
    credentials = lrs_client_create(name="Question bank")
    statements_store(
        client=credentials.client,
        statements=[sim_statement(learner.email, "Cardiology block quiz", "quiz", success=False)],
        parts=[],
        rules=Rules(v2=False),
    )
    login_as(phone_page, learner)

    phone_page.goto("/learning/incoming/")

    expect(phone_page.get_by_role("button", name="Accept as evidence")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"

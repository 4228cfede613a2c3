"""Framework exchange in a browser: an administrator imports a MedBiquitous framework on the
admin's import page, links a Core EPA to a milestone sub-competency and serves a framework
publicly, which a CASE client then reads without a token; a resident finds her medical-school
evidence against her residency competencies on her timeline, on a phone."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from frameworks.models import Competency, CompetencyLink, Framework
from frameworks.services import competency_link_create, frameworks_load_shipped
from portfolio.models import Evidence
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parents[2] / "frameworks" / "tests" / "data" / "medbiq-sample.xml"


def test_an_administrator_imports_links_and_publishes_frameworks(
    page: Page, login_as, admin_user, live_server, snapshot
):
    frameworks_load_shipped()
    login_as(page, admin_user)

    page.goto("/admin/frameworks/framework/import/")
    page.get_by_label("File").set_input_files(str(SAMPLE))
    page.get_by_label("Format").select_option("medbiq")
    page.get_by_role("button", name=re.compile("Import", re.I)).click()
    expect(page.get_by_text(re.compile(r"Northbridge-reasoning 1\.0: imported"))).to_be_visible()
    snapshot(page, "framework-import-medbiq")

    epa1 = Competency.objects.get(framework__code="aamc-core-epas", code="EPA1")
    pc1 = Competency.objects.get(framework__code="im-milestones", code="PC1")
    page.goto("/admin/frameworks/competencylink/add/")
    page.locator("#id_origin").fill(str(epa1.pk))
    page.get_by_label("Kind").select_option("isRelatedTo")
    page.locator("#id_destination").fill(str(pc1.pk))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(re.compile("was added successfully"))).to_be_visible()
    link = CompetencyLink.objects.get()
    assert (link.origin, link.destination) == (epa1, pc1)

    page.goto("/admin/frameworks/framework/?code=aamc-core-epas")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("make_public")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 framework version(s) now public.")).to_be_visible()

    # A CASE client, without a token, reads the package and finds the link in it.
    epas = Framework.objects.get(code="aamc-core-epas")
    with urllib.request.urlopen(f"{live_server.url}/ims/case/v1p0/CFPackages/{epas.uuid}") as r:
        package = json.load(r)
    assert [
        a["destinationNodeURI"]["identifier"]
        for a in package["CFAssociations"]
        if a["associationType"] == "isRelatedTo"
    ] == [str(pc1.uuid)]


def test_a_resident_sees_her_school_evidence_against_her_residency_competencies(
    phone_page: Page, login_as, snapshot
):
    frameworks_load_shipped()
    resident = factories.UserFactory(email="amara.obi@example.org")
    school = factories.ProgramFactory(name="MD program", stage="ume")
    school.frameworks.set([Framework.objects.get(code="aamc-core-epas")])
    factories.EnrollmentFactory(
        learner=resident,
        program=school,
        start_date=dt.date(2021, 8, 1),
        end_date=dt.date(2025, 5, 30),
    )
    residency = factories.ProgramFactory(name="Internal Medicine Residency", stage="gme")
    residency.frameworks.set([Framework.objects.get(code="im-milestones")])
    factories.EnrollmentFactory(learner=resident, program=residency, start_date=dt.date(2025, 7, 1))
    epa1 = Competency.objects.get(framework__code="aamc-core-epas", code="EPA1")
    competency_link_create(
        origin=epa1,
        destination=Competency.objects.get(framework__code="im-milestones", code="PC1"),
        kind="isRelatedTo",
    )
    evidence = Evidence.objects.create(
        learner=resident,
        kind=Evidence.Kind.REFLECTION,
        title="History and exam on the medicine ward",
        occurred_on=dt.date(2024, 2, 12),
    )
    evidence.competencies.set([epa1])

    login_as(phone_page, resident)
    phone_page.goto("/timeline/")
    section = phone_page.get_by_role("region", name="Evidence you bring")
    expect(section).to_contain_text("PC1")
    expect(section).to_contain_text("via EPA1 (aamc-core-epas 2014)")
    snapshot(phone_page, "timeline-carried-evidence-phone")
    section.get_by_role("link", name="History and exam on the medicine ward").click()
    expect(phone_page.get_by_role("heading", name=re.compile("History and exam"))).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

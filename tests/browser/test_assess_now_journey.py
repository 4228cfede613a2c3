"""Assess me now: a learner shows a QR code on their phone; a faculty member scans it with
theirs (a second browser context opens the URL the code carries, proven by decoding the
code from a screenshot), signs in with a one-time emailed link, lands on the filled form and
submits it at phone size. The code then works no more.
"""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from assessments.models import Assessment, AssessNowCode
from assessments.tests.factories import epa_framework, milestone_framework
from notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def epas(program):
    framework, items = epa_framework()
    milestones, _ = milestone_framework()
    program.frameworks.add(framework, milestones)
    return items


def decode_qr(page: Page) -> str:
    """The text the page's QR code carries, read from pixels as a camera would."""
    png = page.locator(".qr svg").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, "one QR code on the screen"
    return str(found[0].text)


def test_faculty_scans_the_learners_code_signs_in_by_link_and_submits_on_a_phone(
    phone_page: Page, second_phone_page: Page, login_as, learner, assessor, epas, snapshot
):
    epa = epas[0]
    # The learner, on their phone, asks to be observed now.
    login_as(phone_page, learner)
    phone_page.goto("/assessments/now/")
    expect(phone_page.get_by_role("heading", name="Assess me now")).to_be_visible()
    phone_page.get_by_label("Which EPA?").select_option(label=f"{epa.code} · {epa.title}")
    phone_page.get_by_label("Setting").select_option(label="Ward / inpatient")
    phone_page.get_by_label("Case type").fill("new chest pain")
    phone_page.get_by_role("button", name="Show my code").click()
    qr = phone_page.locator(".qr")
    expect(qr).to_be_visible()
    snapshot(phone_page, "assess-now-code-phone")
    url = qr.get_attribute("data-assess-now-url")
    assert url and "/assessments/now/scan/" in url
    assert decode_qr(phone_page) == url

    # The faculty member's phone opens what the code carries; not signed in there.
    faculty = second_phone_page
    faculty.goto(url)
    expect(faculty.get_by_role("heading", name=f"Observe {learner.name}")).to_be_visible()
    faculty.get_by_label("Your work email").fill(assessor.email)
    faculty.get_by_role("button", name="Email me a sign-in link").click()
    expect(faculty.get_by_text("a one-time sign-in link is on its way")).to_be_visible()
    link = Notification.objects.get(recipient=assessor).url
    faculty.goto(link)
    faculty.get_by_role("button", name="Sign in and open the form").click()

    # The filled form: learner, item and context are there; the assessor rates and writes.
    expect(faculty.get_by_role("heading", name=f"Observe {learner.name}")).to_be_visible()
    expect(faculty.get_by_text("new chest pain")).to_be_visible()
    snapshot(faculty, "assess-now-form-phone")
    faculty.get_by_text("Indirect supervision").click()
    faculty.get_by_label("What went well").fill("Took a focused history and summarised it back.")
    faculty.get_by_label("One thing to work on next").fill(
        "Say the differential out loud before ordering tests."
    )
    faculty.get_by_role("button", name="Submit observation").click()
    expect(faculty.get_by_text("Observation recorded")).to_be_visible()
    assessment = Assessment.objects.get()
    code = AssessNowCode.objects.get()
    assert (assessment.learner, assessment.assessor) == (learner, assessor)
    assert assessment.competency == epa and assessment.request == code.request

    # Scanned again, the code is spent: a clear error and nothing new.
    faculty.goto(url)
    expect(faculty.get_by_text("This code has already been used")).to_be_visible()
    assert Assessment.objects.count() == 1
    phone_page.reload()
    expect(phone_page.get_by_text("This code has been used")).to_be_visible()

"""A resident logs a procedure on their phone (a date of birth in the notes is refused, by
field), their supervisor verifies it in one tap on theirs, and the resident's totals count it
against the program's minimum."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from caselog.models import CaseLogEntry
from caselog.tests.factories import ProcedureFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_a_learner_logs_a_case_and_the_supervisor_verifies_it_on_phones(
    phone_page: Page, second_page: Page, login_as, learner, assessor, program, snapshot
):
    ProcedureFactory(program=program, code="CVC-01", name="Central venous catheter", minimum=1)
    assessor.display_name = "Dr Ana Silva"
    assessor.save()
    today = timezone.localdate()

    phone = phone_page
    login_as(phone, learner)
    phone.goto("/case-log/")
    expect(phone.get_by_role("heading", name=re.compile("Case log"))).to_be_visible()
    expect(phone.locator('[data-still-needed="CVC-01"]')).to_have_text("1")
    phone.get_by_role("link", name="Log a case").click()
    phone.get_by_label("Procedure or case").select_option(label="CVC-01 · Central venous catheter")
    phone.get_by_label("Date").fill(today.isoformat())
    phone.get_by_label("Performed").check()
    phone.get_by_label("Supervisor").select_option(label="Dr Ana Silva")
    phone.get_by_label("Site").fill("General hospital ICU")
    phone.get_by_label("Patient's age band").select_option(label="Adult (18–64)")
    phone.get_by_label("Patient's sex").select_option(label="Female")
    phone.get_by_label("Notes").fill("Right IJ, DOB 04/11/1958")
    no_sideways_scroll(phone)
    phone.get_by_role("button", name="Save case").click()

    # Refused, by field, and nothing written; the form keeps what was typed.
    expect(phone.locator(".has-error")).to_contain_text("could be a date of birth")
    expect(phone.locator(".has-error")).to_contain_text("Notes")
    assert not CaseLogEntry.objects.exists()
    snapshot(phone, "caselog-refused-phone")
    phone.get_by_label("Notes").fill("Right internal jugular, ultrasound guided.")
    phone.get_by_role("button", name="Save case").click()
    expect(phone.get_by_text("Case logged.")).to_be_visible()
    expect(phone.get_by_text("waiting for verification")).to_be_visible()
    no_sideways_scroll(phone)
    entry = CaseLogEntry.objects.get(learner=learner)
    assert entry.verified_at is None

    # The supervisor, on their phone, verifies it in one tap.
    supervisor = second_page
    supervisor.set_viewport_size({"width": 390, "height": 844})
    login_as(supervisor, assessor)
    supervisor.goto("/assessments/inbox/")
    supervisor.get_by_role("link", name="Cases to verify").click()
    expect(
        supervisor.get_by_role("heading", name=re.compile("CVC-01 · Central venous"))
    ).to_be_visible()
    no_sideways_scroll(supervisor)
    snapshot(supervisor, "caselog-verify-phone")
    supervisor.get_by_role("button", name=re.compile("^Verify")).click()
    expect(supervisor.get_by_text(re.compile("^Verified: Central venous catheter"))).to_be_visible()
    expect(supervisor.get_by_text("Nothing waits for your verification.")).to_be_visible()
    entry.refresh_from_db()
    assert entry.verified_by == assessor

    # Back on the resident's phone, the minimum is met.
    phone.goto("/case-log/")
    expect(phone.locator('[data-still-needed="CVC-01"]')).to_have_text("met")
    expect(phone.get_by_text("verified", exact=True)).to_be_visible()

"""From a roster to a first check-in, as the people involved would do it in a browser.

A director imports a roster with "email an invitation" ticked; the resident opens the emailed
link on a phone, sets up an account, lands on a first screen that says what to do first, and
follows it into a first check-in. Someone else's browser cannot use the same link.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from programs.models import Enrollment
from programs.tests.factories import program_with_framework

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase-42"
RESIDENT = "rosa.resident@example.org"


def test_a_director_invites_a_resident_from_the_roster_who_reaches_a_first_check_in(
    page: Page,
    phone_page: Page,
    second_page: Page,
    login_as,
    program,
    director,
    learner,
    tmp_path: Path,
):
    program.name = "Internal Medicine Residency"
    program.save()
    program_with_framework(program, domains=2, per_domain=2)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"email,name,training_year,start_date\n{RESIDENT},Rosa Resident,2,2025-07-01\n"
    )

    # The director imports the roster and invites everyone new in one go.
    login_as(page, director)
    page.goto(f"/programs/{program.pk}/roster/")
    page.get_by_label("Roster CSV file").set_input_files(str(roster))
    expect(
        page.get_by_label("Email an invitation to everyone who has not signed in yet")
    ).to_be_checked()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Invitations")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(RESIDENT))).to_contain_text("open")

    messages = [m for m in mail.outbox if RESIDENT in m.to]
    assert len(messages) == 1, [m.to for m in mail.outbox]
    link = re.search(r"https?://\S+/programs/invitations/\S+/", messages[0].body)
    assert link is not None, messages[0].body
    path = re.sub(r"^https?://[^/]+", "", link.group(0))

    # Someone else, signed in, is told plainly that the invitation is not theirs.
    login_as(second_page, learner)
    second_page.goto(path)
    expect(
        second_page.get_by_role("heading", name="This invitation cannot be used")
    ).to_be_visible()
    expect(second_page.get_by_text(f"This invitation was sent to {RESIDENT}")).to_be_visible()

    # The resident opens the link on a phone: name filled in, a password chosen, and in.
    phone_page.goto(path)
    expect(
        phone_page.get_by_role("heading", name="Join Internal Medicine Residency")
    ).to_be_visible()
    expect(phone_page.get_by_label("Your name")).to_have_value("Rosa Resident")
    phone_page.get_by_label("Choose a password").fill(PASSWORD)
    phone_page.get_by_label("The password again").fill(PASSWORD)
    phone_page.get_by_role("button", name="Create my account and join").click()

    expect(phone_page.get_by_role("heading", name="My portfolio")).to_be_visible()
    expect(phone_page.get_by_text("PGY-2", exact=False).first).to_be_visible()
    start = phone_page.get_by_role("region", name="Start here")
    expect(start).to_be_visible()
    expect(start.get_by_role("listitem")).to_have_count(3)
    start.get_by_role("link", name="Do your first check-in").click()
    expect(phone_page.get_by_role("heading", name=re.compile("^Check-in"))).to_be_visible()

    enrollment = Enrollment.objects.get(learner__email=RESIDENT, program=program)
    assert enrollment.training_year == 2

    # The link worked once.
    phone_page.context.clear_cookies()
    phone_page.goto(path)
    expect(phone_page.get_by_text("already been used")).to_be_visible()

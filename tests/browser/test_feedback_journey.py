"""Multi-source feedback: a learner hands patients one-time links (each a QR code); patients
answer on their phones without an account; the learner sees the answers only once the third
patient has answered. A used link says so and records nothing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from assessments.models import FeedbackResponse
from assessments.tests.factories import epa_framework

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {
    "They listened to me": "Completely",
    "They explained things in a way I understood": "Mostly",
    "They treated me with respect": "Completely",
    "They involved me in decisions about my care": "A little",
}


@pytest.fixture
def enrolled(program):
    framework, _ = epa_framework()
    program.frameworks.add(framework)


def make_patient_link(page: Page) -> str:
    page.goto("/assessments/feedback/")
    page.get_by_label("Who will answer?").select_option(label="Patient")
    page.get_by_role("button", name="Make the link").click()
    expect(page.get_by_role("heading", name="Feedback link for a patient")).to_be_visible()
    url = page.locator(".qr").get_attribute("data-feedback-url")
    assert url
    return url


def patient_answers(phone: Page, url: str, comment: str, shoot=None) -> None:
    phone.goto(url)
    expect(
        phone.get_by_role("heading", name="Your visit with this doctor in training")
    ).to_be_visible()
    for statement, choice in ANSWERS.items():
        phone.get_by_role("radiogroup", name=statement).get_by_label(choice).check()
    phone.get_by_label("Anything else you would like them to know").fill(comment)
    if shoot is not None:
        shoot(phone, "feedback-patient-form-phone")
    phone.get_by_role("button", name="Send feedback").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()


def test_patients_answer_by_link_and_the_learner_sees_them_from_the_third(
    page: Page, phone_page: Page, login_as, learner, enrolled, snapshot
):
    login_as(page, learner)
    comments = ["Explained my tablets well.", "Took time with my daughter.", "Very kind."]
    for number, comment in enumerate(comments, start=1):
        url = make_patient_link(page)
        patient_answers(phone_page, url, comment, shoot=snapshot if number == 1 else None)
        if number == 1:
            # The link works once.
            phone_page.goto(url)
            expect(phone_page.get_by_text("already been used")).to_be_visible()
        page.goto("/assessments/feedback/")
        if number < 3:
            expect(page.get_by_text(f"{number} answer")).to_be_visible()
            expect(page.get_by_text("Nothing to show yet.")).to_be_visible()
            expect(page.get_by_text(comment)).to_have_count(0)
    # The third answer opens the patients' group: counts, means and comments, no names.
    expect(page.get_by_role("heading", name="Patients n=3")).to_be_visible()
    for comment in comments:
        expect(page.get_by_text(comment)).to_be_visible()
    snapshot(page, "feedback-learner")
    assert FeedbackResponse.objects.count() == 3

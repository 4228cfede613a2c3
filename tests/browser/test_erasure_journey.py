"""A learner leaves: offered their export first, confirms with the password, is signed out
and cannot sign in again; the committee's signed-off review of them still shows to the
director, under an anonymised name."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from committee.models import ConsensusRating, LearnerReview
from portfolio.tests.factories import EvidenceFactory, framework_with_tree
from programs.models import ReviewPeriod
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_learner_exports_erases_and_the_director_still_sees_the_review(
    size,
    request,
    second_page: Page,
    login_as,
    learner,
    director,
    program,
    settings,
    tmp_path,
    snapshot,
):
    page: Page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    settings.MEDIA_ROOT = tmp_path
    framework, leaves = framework_with_tree(domains=1, per_domain=1)
    program.frameworks.add(framework)
    period = ReviewPeriod.objects.create(
        program=program,
        name="Autumn 2025",
        start_date=dt.date(2025, 7, 1),
        end_date=dt.date(2025, 12, 31),
    )
    review = LearnerReview.objects.create(
        period=period,
        learner=learner,
        training_year=1,
        status=LearnerReview.Status.SIGNED_OFF,
        signed_off_by=director,
        signed_off_at=timezone.now(),
        summary="Progressing as expected.",
        learner_response="Thank you, I agree.",
    )
    ConsensusRating.objects.create(
        review=review,
        competency=leaves[0],
        level=Decimal("2"),
        rationale="Seen on wards.",
        recorded_by=director,
    )
    EvidenceFactory(learner=learner, title="Central line log")
    learner_name = learner.name

    login_as(page, learner)
    page.goto("/account/erase/")
    expect(page.get_by_role("heading", name="Erase your account")).to_be_visible()
    expect(page.locator("#erase-kept")).to_contain_text("Signed-off committee reviews of you")

    # The export comes first: start it, then find it offered for download on the erase page.
    page.get_by_role("button", name="Export my portfolio").click()
    expect(page.get_by_text("Ready to download").first).to_be_visible()
    page.goto("/account/erase/")
    expect(page.locator("#export-download")).to_be_visible()

    snapshot(page, f"erase-{size}")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Erase my account").click()
    expect(page.get_by_role("heading", name="Your account is erased")).to_be_visible()
    snapshot(page, f"erased-{size}")

    # Signed out, and the old credentials open nothing.
    page.goto("/account/erase/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email").fill("learner@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    # The director still reads the signed-off review, now of a former learner.
    login_as(second_page, director)
    second_page.goto(f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/")
    expect(second_page.get_by_text("Progressing as expected.")).to_be_visible()
    snapshot(second_page, f"erased-learner-packet-{size}")
    expect(second_page.locator("body")).to_contain_text("Former learner")
    expect(second_page.locator("body")).not_to_contain_text(learner_name)
    expect(second_page.locator("body")).not_to_contain_text("erased.invalid")
    expect(second_page.locator("body")).not_to_contain_text("Thank you, I agree.")

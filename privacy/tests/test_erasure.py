"""Erasing one's account from the settings page and the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.services import api_token_create
from committee.models import LearnerReview
from portfolio.models import Evidence, PortfolioTransfer
from portfolio.tests.factories import EvidenceFactory, GoalFactory
from privacy import services
from privacy.services import account_erase
from programs.tests.factories import ReviewPeriodFactory
from tests.factories import PASSWORD, ProgramRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_review(learner, program, director):
    period = ReviewPeriodFactory(program=program)
    return LearnerReview.objects.create(
        period=period,
        learner=learner,
        training_year=1,
        status=LearnerReview.Status.SIGNED_OFF,
        signed_off_by=director,
        signed_off_at=timezone.now(),
        learner_response="Fair.",
    )


def test_page_offers_the_export_and_lists_what_goes_and_what_stays(client, learner, signed_review):
    EvidenceFactory(learner=learner, title="Lumbar puncture log")
    client.force_login(learner)

    page = client.get("/account/erase/").content.decode()

    assert 'action="/export/start/"' in page
    assert "Evidence and reflections, with their files (1)" in page
    assert "Signed-off committee reviews of you (1)" in page
    assert "your response to it is removed" in page
    assert 'name="password"' in page


def test_a_wrong_password_erases_nothing(client, learner):
    client.force_login(learner)

    response = client.post("/account/erase/", {"password": "not it", "confirm": "on"})

    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    learner.refresh_from_db()
    assert not learner.is_erased and learner.email == "learner@example.org"


def test_erasing_signs_out_and_the_address_signs_up_afresh(client, learner, signed_review):
    GoalFactory(learner=learner)
    other_device = Client()
    other_device.force_login(learner)
    client.force_login(learner)

    response = client.post("/account/erase/", {"password": PASSWORD, "confirm": "on"})

    assert response["Location"] == "/account/erased/"
    assert "_auth_user_id" not in client.session
    assert not client.login(email="learner@example.org", password=PASSWORD)
    assert other_device.get("/account/erase/")["Location"].startswith("/accounts/login/")
    stub = User.objects.get(pk=learner.pk)
    assert stub.name.startswith("Former learner ")
    assert LearnerReview.objects.get(pk=signed_review.pk).learner_id == stub.pk
    signup = client.post(
        "/accounts/signup/",
        {
            "email": "learner@example.org",
            "password1": "a-new-long-pass-9",
            "password2": "a-new-long-pass-9",
            "name": "Returning Learner",
            "arrived_as": "resident",
        },
    )
    assert signup.status_code == 302
    fresh = User.objects.get(email="learner@example.org")
    assert fresh.pk != stub.pk and not fresh.goals.exists()


def test_the_only_director_of_a_program_is_told_why_not(client, director, program):
    client.force_login(director)

    page = client.get("/account/erase/").content.decode()
    refused = client.post(
        "/api/v1/me/erase/",
        {"password": PASSWORD, "confirm": True},
        content_type="application/json",
    )

    assert f"only director of {program.name}" in page
    assert 'name="password"' not in page
    assert refused.status_code == 409
    assert refused.json()["blockers"][0].startswith("You are the only director")
    assert User.objects.filter(pk=director.pk, erased_at__isnull=True).exists()


def test_an_export_still_running_holds_the_erasure_back(learner):
    PortfolioTransfer.objects.create(learner=learner, direction="export")

    with pytest.raises(services.ErasureRefusedError):
        account_erase(user=learner)


def test_the_api_erases_with_the_password_and_the_token_stops_working(client, learner):
    _, key = api_token_create(user=learner)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}

    preview = client.get("/api/v1/me/erase/", **auth).json()
    erased = client.post(
        "/api/v1/me/erase/",
        {"password": PASSWORD, "confirm": True},
        content_type="application/json",
        **auth,
    )

    assert preview["password_required"] is True and preview["blockers"] == []
    assert {"label": "Enrollments in programs", "count": 1} in [
        {"label": line["label"], "count": line["count"]} for line in preview["kept"]
    ]
    assert erased.status_code == 200
    assert erased.json()["stub_label"].startswith("Former learner ")
    assert client.get("/api/v1/me/", **auth).status_code == 401


def test_the_api_wants_confirm_true(client, learner):
    client.force_login(learner)

    response = client.post(
        "/api/v1/me/erase/",
        {"password": PASSWORD, "confirm": False},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "confirm" in response.json()


def test_an_account_nothing_depends_on_is_deleted_outright():
    person = UserFactory(email="solo@example.org")
    EvidenceFactory(learner=person)

    result = account_erase(user=person)

    assert result.stub_label == ""
    assert not User.objects.filter(pk=person.pk).exists()
    assert not Evidence.objects.exists()


def test_erasing_twice_changes_nothing_more(learner):
    first = account_erase(user=learner)
    second = account_erase(user=learner)

    assert second.stub_label == first.stub_label
    assert second.erased == second.kept == []


def test_a_failure_part_way_leaves_everything_and_every_file(
    learner, settings, tmp_path: Path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    evidence = EvidenceFactory(learner=learner)
    evidence.file.save("upload.pdf", ContentFile(b"%PDF-1.4"), save=True)

    def broken(**kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "notifications_erase_for_user", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        account_erase(user=learner)

    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert default_storage.exists(evidence.file.name)
    learner.refresh_from_db()
    assert not learner.is_erased


def test_a_faculty_member_erases_and_their_observations_stay(assessor, learner):
    from portfolio.tests.factories import AssessmentFactory

    rating = AssessmentFactory(assessor=assessor, learner=learner, observed_on=dt.date(2025, 9, 1))

    result = account_erase(user=assessor)

    rating.refresh_from_db()
    assert rating.assessor_id == assessor.pk
    assert rating.assessor.name == result.stub_label
    assert result.stub_label.startswith("Former user ")


def test_the_page_reads_a_constant_number_of_queries(
    client, learner, signed_review, django_assert_num_queries
):
    client.force_login(learner)
    for n in (1, 20):
        EvidenceFactory.create_batch(n, learner=learner)
        ProgramRoleFactory.create_batch(n, user=UserFactory(), role="faculty")
        # Expect 7 queries:
        # * session * user * the counts of every rule (one statement) * programs the person
        #   alone directs * exports or imports running * the latest export * the
        #   navigation's roles (other administrators are asked about only for an admin)
        # + the header's unread count (one COUNT on a partial index)
        with django_assert_num_queries(8):
            assert client.get("/account/erase/").status_code == 200


def test_password_guesses_are_rate_limited_on_the_page_and_the_api(client, learner):
    client.force_login(learner)
    for _ in range(10):
        client.post("/account/erase/", {"password": "guess", "confirm": "on"})

    page = client.post("/account/erase/", {"password": PASSWORD, "confirm": "on"})
    api = client.post(
        "/api/v1/me/erase/",
        {"password": PASSWORD, "confirm": True},
        content_type="application/json",
    )

    assert (page.status_code, api.status_code) == (429, 429)
    learner.refresh_from_db()
    assert not learner.is_erased


def test_the_api_preview_reads_a_constant_number_of_queries(
    client, learner, signed_review, django_assert_num_queries
):
    client.force_login(learner)
    for n in (1, 20):
        EvidenceFactory.create_batch(n, learner=learner)
        # Expect 5 queries:
        # * session * user * the counts of every rule (one statement) * programs the person
        #   alone directs * exports or imports running
        with django_assert_num_queries(5):
            assert client.get("/api/v1/me/erase/").status_code == 200


def test_an_administrator_erases_an_account_from_the_admin_and_cannot_cascade_delete_it(
    client, admin_user, learner, signed_review, settings
):
    settings.ENFORCE_STAFF_MFA = False
    client.force_login(admin_user)

    client.post(
        "/admin/accounts/user/",
        {"action": "erase_accounts", "_selected_action": [learner.pk]},
    )

    stub = User.objects.get(pk=learner.pk)
    assert stub.is_erased
    assert LearnerReview.objects.filter(pk=signed_review.pk, learner=stub).exists()
    assert client.get(f"/admin/accounts/user/{learner.pk}/delete/").status_code == 403


def test_erasing_a_learner_takes_their_ratings_out_of_the_overviews_group(
    learner, program, director
):
    import datetime as dt
    from decimal import Decimal

    from assessments.models import Assessment, ProgramMonthLearners, ProgramRatingHistogram
    from assessments.summaries.programs import (
        program_histogram_differences,
        program_learners_differences,
    )
    from assessments.tests.factories import AssessmentFactory
    from programs.tests.factories import enrol, program_with_framework

    _, leaves = program_with_framework(program)
    day = dt.date(2025, 9, 1)
    AssessmentFactory(learner=learner, competency=leaves[0], level=4, observed_on=day)
    for person in enrol(program, 2):
        AssessmentFactory(learner=person, competency=leaves[0], level=2, observed_on=day)
    assert ProgramMonthLearners.objects.get(program=program).learners == 3

    account_erase(user=learner)

    # The assessments stay as records of an anonymised former learner, out of current groups.
    assert Assessment.objects.filter(learner=learner).count() == 1
    assert [(h.level, h.n) for h in ProgramRatingHistogram.objects.filter(program=program)] == [
        (Decimal("2.0"), 2)
    ]
    assert ProgramMonthLearners.objects.get(program=program).learners == 2
    assert program_histogram_differences()[:2] == program_learners_differences()[:2] == (0, 0)

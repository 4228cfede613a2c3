"""The learning pages and API as a learner uses them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from assessments.models import SelfAssessment
from frameworks.models import Competency
from learning.models import Recommendation, UpcomingVisit
from learning.tests.factories import (
    CodePairFactory,
    LearningResourceFactory,
    UpcomingVisitFactory,
    fhir_text,
    im_framework,
)
from portfolio.models import Evidence
from programs.models import Enrollment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_year_end")]


@pytest.fixture
def im(program):
    framework = im_framework()
    program.frameworks.add(framework)
    return {c.code: c for c in Competency.objects.filter(framework=framework)}


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


def _rated_catalogue(learner, im, size):
    Enrollment.objects.filter(learner=learner).update(training_year=2)
    SelfAssessment.objects.create(
        learner=learner,
        competency=im["PC3"],
        level=Decimal("1.5"),
        assessed_on=timezone.localdate(),
    )
    codes = list(im)
    for n in range(size):
        LearningResourceFactory(competencies=[im[codes[n % len(codes)]]], codes=["icd10cm:I10"])


# --- Recommendations -----------------------------------------------------------------------------


def test_the_recommendations_page_shows_each_reason_in_words(signed_in, learner, im):
    _rated_catalogue(learner, im, 3)

    response = signed_in.get("/learning/recommendations/")

    assert response.status_code == 200
    assert "PC3 is 1.5 levels below what is expected in PGY-2" in response.content.decode()


@pytest.mark.parametrize("size", [4, 40])
def test_the_recommendations_page_runs_a_fixed_number_of_queries(
    signed_in, learner, im, size, django_assert_num_queries
):
    _rated_catalogue(learner, im, size)
    # 1 session, 2 user; ranking: 3 enrollments, 4 program frameworks, 5 practice stage (none
    # open), 6 linked competencies with latest levels, 7 expectations, 8 feedback, 9 resources,
    # 10 their competencies with frameworks, 11 their codes; 12 the header's navigation roles.
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(13):
        response = signed_in.get("/learning/recommendations/")
    assert response.status_code == 200
    assert response.content.decode().count('class="reason"') == min(size, 10)


@pytest.mark.parametrize("size", [4, 40])
def test_the_recommendations_api_runs_ten_queries(
    signed_in, learner, im, size, django_assert_num_queries
):
    _rated_catalogue(learner, im, size)
    # 1 session, 2 user; then ranking's nine: 3 enrollments, 4 program frameworks, 5 practice
    # stage (none open), 6 linked competencies with latest levels, 7 expectations, 8 feedback,
    # 9 resources, 10 their competencies with frameworks, 11 their clinical codes.
    with django_assert_num_queries(11):
        response = signed_in.get("/api/v1/learning/recommendations/?limit=50")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == min(size, 50)
    first = body[0]
    assert first["reason"] == "PC3 is 1.5 levels below what is expected in PGY-2"
    assert first["competency"] == "PC3"
    assert first["feedback"] is None


def test_feedback_through_the_api_changes_the_next_ranking(signed_in, learner, im):
    _rated_catalogue(learner, im, 3)
    first = signed_in.get("/api/v1/learning/recommendations/").json()[0]["resource"]["id"]

    response = signed_in.post(
        f"/api/v1/learning/resources/{first}/feedback/",
        {"action": "dismiss"},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["dismissed"] is True
    ids = [
        item["resource"]["id"] for item in signed_in.get("/api/v1/learning/recommendations/").json()
    ]
    assert first not in ids


def test_unknown_feedback_is_a_400_with_detail(signed_in, learner):
    resource = LearningResourceFactory()

    response = signed_in.post(
        f"/api/v1/learning/resources/{resource.pk}/feedback/",
        {"action": "love"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "detail" in response.json() and "action" in response.json()


def test_done_as_evidence_through_the_page_lands_in_the_portfolio(signed_in, learner, im):
    resource = LearningResourceFactory(title="Reasoning traps", competencies=[im["PC3"]])

    response = signed_in.post(
        f"/learning/resources/{resource.pk}/evidence/",
        {"reason": "PC3 gap", "next": "/learning/upcoming/"},
    )

    assert response.status_code == 302 and response["Location"] == "/learning/upcoming/"
    evidence = Evidence.objects.get(learner=learner)
    assert evidence.title == "Completed: Reasoning traps"
    assert Recommendation.objects.get(learner=learner).evidence_id == evidence.pk


def test_feedback_never_redirects_to_another_site(signed_in, learner):
    resource = LearningResourceFactory()

    response = signed_in.post(
        f"/learning/resources/{resource.pk}/feedback/",
        {"action": "done", "next": "https://evil.example/"},
    )

    assert response["Location"] == "/learning/recommendations/"


# --- Catalogue -------------------------------------------------------------------------------------


def test_the_catalogue_filters_by_code_competency_and_words(signed_in, im):
    LearningResourceFactory(
        title="Diabetes basics", codes=["icd10cm:E11.9"], competencies=[im["PC5"]]
    )
    LearningResourceFactory(
        title="Hypertension basics", codes=["snomed:38341003"], competencies=[im["MK2"]]
    )

    def titles(query):
        return [
            r["title"]
            for r in signed_in.get(f"/api/v1/learning/resources/?{query}").json()["results"]
        ]

    assert titles("code=E119") == ["Diabetes basics"]
    assert titles("code=snomed:38341003") == ["Hypertension basics"]
    assert titles("competency=pc5") == ["Diabetes basics"]
    assert titles("q=hypertension") == ["Hypertension basics"]
    page = signed_in.get("/learning/?code=E11.9").content.decode()
    assert "Diabetes basics" in page and "Hypertension basics" not in page


@pytest.mark.parametrize("size", [3, 30])
def test_the_catalogue_api_runs_a_fixed_number_of_queries(
    signed_in, im, size, django_assert_num_queries
):
    for _ in range(size):
        LearningResourceFactory(competencies=[im["PC1"]], codes=["icd10cm:I10"])
    # 1 session, 2 user, 3 count, 4 page of resources, 5 their competencies, 6 the
    # competencies' frameworks, 7 their codes.
    with django_assert_num_queries(7):
        response = signed_in.get("/api/v1/learning/resources/")
    assert response.json()["count"] == size


def test_an_uploaded_resource_file_downloads_for_signed_in_people(signed_in, tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        resource = LearningResourceFactory()
        resource.file.save("notes.txt", SimpleUploadedFile("notes.txt", b"our notes"))

        response = signed_in.get(f"/learning/resources/{resource.pk}/file/")

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"our notes"
        assert "attachment" in response["Content-Disposition"]


# --- Visits ----------------------------------------------------------------------------------------


def test_uploading_a_bundle_on_the_page_shows_the_per_entry_report(signed_in, learner):
    upload = SimpleUploadedFile(
        "bundle.json", fhir_text("bundle.json").encode(), content_type="application/json"
    )

    response = signed_in.post(
        "/learning/visits/", {"practitioner_id": "pr-learner", "bundle": upload}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "3 upcoming visits kept" in page
    assert "Practitioner/pr-learner (you) is not a participant" in page
    assert UpcomingVisit.objects.filter(learner=learner).count() == 3
    assert "Quartermaine" not in page


def test_pasted_text_that_is_not_json_is_a_400_with_the_reason(signed_in, learner):
    response = signed_in.post(
        "/learning/visits/", {"practitioner_id": "pr-learner", "text": "hello"}
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.content.decode()


def test_the_upload_api_takes_a_raw_fhir_body_and_reports_every_entry(signed_in, learner):
    response = signed_in.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        fhir_text("bundle.json"),
        content_type="application/fhir+json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["kept"] == 3
    assert body["counts"]["created"] == 3
    assert len(body["entries"]) == 9
    assert {e["outcome"] for e in body["entries"]} >= {
        "created",
        "skipped",
        "dropped",
        "used",
        "ignored",
    }
    again = signed_in.post(
        "/api/v1/learning/visits/bundle/", fhir_text("bundle.json"), content_type="application/json"
    ).json()
    assert again["counts"]["unchanged"] == 3


def test_the_upload_api_takes_a_multipart_file(signed_in, learner):
    upload = SimpleUploadedFile("b.json", fhir_text("bundle.json").encode())

    response = signed_in.post(
        "/api/v1/learning/visits/bundle/", {"bundle": upload, "practitioner": "pr-learner"}
    )

    assert response.status_code == 200
    assert response.json()["kept"] == 3


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ("not json", 400, "not valid JSON"),
        (json.dumps({"resourceType": "Appointment"}), 400, "Expected resourceType 'Bundle'"),
        ("", 400, "Send the Bundle as the request body"),
    ],
)
def test_the_upload_api_refuses_bad_documents_with_detail(signed_in, learner, body, status, detail):
    response = signed_in.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        body,
        content_type="application/fhir+json",
    )

    assert response.status_code == status
    assert detail in response.json()["detail"]


@override_settings(LEARNING_FHIR_MAX_BYTES=1000)
def test_a_bundle_over_the_size_limit_is_a_413(signed_in, learner):
    response = signed_in.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        fhir_text("bundle.json"),
        content_type="application/json",
    )

    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_removing_a_visit_only_works_for_its_owner(client, learner, other_learner):
    visit = UpcomingVisitFactory(learner=learner)
    client.force_login(other_learner)

    assert client.post(f"/learning/visits/{visit.pk}/remove/").status_code == 404
    assert client.delete(f"/api/v1/learning/visits/{visit.pk}/").status_code == 404
    assert UpcomingVisit.objects.filter(pk=visit.pk).exists()


def test_the_upcoming_page_and_api_show_tomorrows_refreshers_with_reasons(signed_in, learner):
    LearningResourceFactory(
        title="Hypertension refresher", codes=["icd10cm:I10"], duration_minutes=7
    )
    CodePairFactory(snomed_code="38341003", icd10_code="I10")
    signed_in.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        fhir_text("bundle.json"),
        content_type="application/json",
    )

    page = signed_in.get("/learning/upcoming/").content.decode()
    api = signed_in.get("/api/v1/learning/upcoming/").json()

    assert "Before your clinic on" in page and "Hypertension refresher" in page
    [day] = api
    assert day["headline"].endswith("one short refresher")
    assert day["visit_count"] == 3
    assert day["items"][0]["match"] == "pair"
    assert (
        "ICD-10-CM I10, listed as the same condition as SNOMED CT 38341003"
        in day["items"][0]["reason"]
    )


def test_the_practitioner_id_can_be_read_and_set(signed_in, learner):
    assert signed_in.get("/api/v1/learning/practitioner/").status_code == 404

    response = signed_in.put(
        "/api/v1/learning/practitioner/",
        {"practitioner_id": "pr/bad"},
        content_type="application/json",
    )
    assert response.status_code == 400

    signed_in.put(
        "/api/v1/learning/practitioner/",
        {"practitioner_id": "pr-9"},
        content_type="application/json",
    )
    assert signed_in.get("/api/v1/learning/practitioner/").json() == {"practitioner_id": "pr-9"}

"""Input the schema fuzzer found answering 500: absurd page sizes and offsets, NUL characters.

Page sizes above the maximum are clamped to it, offsets above core.api.MAX_OFFSET to that, and
a negative or non-numeric value means the default (core/api.py). A NUL anywhere in the query
string, a form or a JSON body is refused with 400 by core.middleware, JSON under /api/.
"""

from __future__ import annotations

import base64

import pytest

from core.api import MAX_OFFSET, MAX_PAGE_SIZE
from learning.tests.factories import LearningResourceFactory
from tests.factories import EnrollmentFactory, FrameworkFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
LIMIT_OFFSET_LISTS = ("/api/v1/frameworks/", "/api/v1/learning/resources/")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.mark.parametrize("url", LIMIT_OFFSET_LISTS)
def test_a_huge_limit_is_clamped_to_the_maximum(learner_client, url):
    response = learner_client.get(url, {"limit": HUGE})

    assert response.status_code == 200
    assert f"limit={MAX_PAGE_SIZE}" in (response.json()["next"] or f"limit={MAX_PAGE_SIZE}")


def test_a_huge_limit_returns_at_most_the_maximum(learner_client):
    FrameworkFactory.create_batch(MAX_PAGE_SIZE + 1)

    body = learner_client.get("/api/v1/frameworks/", {"limit": HUGE}).json()

    assert body["count"] == MAX_PAGE_SIZE + 1
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert f"limit={MAX_PAGE_SIZE}" in body["next"]


@pytest.mark.parametrize("url", LIMIT_OFFSET_LISTS)
def test_a_huge_offset_is_clamped_and_answers_an_empty_page(learner_client, url):
    response = learner_client.get(url, {"offset": HUGE})

    assert response.status_code == 200
    assert response.json()["results"] == []
    assert f"offset={MAX_OFFSET - 50}" in response.json()["previous"]


@pytest.mark.parametrize("url", LIMIT_OFFSET_LISTS)
@pytest.mark.parametrize("value", ["-1", "0", "abc", "1e3", "", "-99999999999999999999"])
def test_a_negative_or_non_numeric_limit_or_offset_means_the_default(learner_client, url, value):
    FrameworkFactory.create_batch(3)
    LearningResourceFactory.create_batch(3)

    by_limit = learner_client.get(url, {"limit": value})
    by_offset = learner_client.get(url, {"offset": value})

    assert by_limit.status_code == by_offset.status_code == 200
    assert len(by_limit.json()["results"]) == len(by_offset.json()["results"]) == 3


def test_a_huge_cursor_page_size_is_clamped(learner_client):
    response = learner_client.get("/api/v1/coaching/notifications/", {"page_size": HUGE})

    assert response.status_code == 200


@pytest.fixture
def enrollments_url(program, director, client):
    EnrollmentFactory.create_batch(2, program=program)
    client.force_login(director)
    return f"/api/v1/programs/{program.pk}/enrollments/"


@pytest.mark.parametrize("position", ["abc", HUGE, "-1", "1.5"])
def test_a_cursor_whose_position_does_not_fit_the_column_is_a_404(
    client, enrollments_url, position
):
    token = base64.b64encode(f"o=0&r=0&p={position}".encode()).decode()

    response = client.get(enrollments_url, {"cursor": token})

    if position in ("abc", "1.5"):
        assert response.status_code == 404
        assert response.json() == {"detail": "Invalid cursor"}
    else:
        assert response.status_code == 200  # a number out of range matches nothing, or all


# --- NUL characters -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("parameter", ["q", "code", "competency"])
def test_a_nul_in_a_catalogue_parameter_is_a_json_400_on_postgres(learner_client, parameter):
    LearningResourceFactory()
    assert learner_client.get("/api/v1/learning/resources/", {parameter: "ab"}).status_code == 200

    response = learner_client.get("/api/v1/learning/resources/", {parameter: "a\x00b"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize("parameter", ["q", "code", "competency"])
def test_a_nul_in_a_catalogue_parameter_is_a_json_400(learner_client, parameter):
    response = learner_client.get(f"/api/v1/learning/resources/?{parameter}=a%00b")

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_nul_in_a_parameter_name_is_refused_too(learner_client):
    assert learner_client.get("/api/v1/learning/resources/?a%00b=1").status_code == 400


def test_a_nul_in_a_json_body_is_a_json_400(learner_client):
    response = learner_client.post(
        "/api/v1/learning/resources/", '{"q": "a\\u0000b"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(learner_client):
    response = learner_client.post(
        "/api/v1/learning/resources/", '{"q": "a\\\\u0000b"}', content_type="application/json"
    )

    assert response.status_code == 405  # reached the view, which only lists


def test_a_nul_in_a_form_field_is_a_400(learner_client):
    response = learner_client.post("/api/v1/learning/resources/", {"q": "a\x00b"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/learning/?q=a%00b",
        "/learning/?page=1%00",
        "/frameworks/?x=%00",
        "/evidence/?kind=a%00b",
    ],
)
def test_a_page_with_a_nul_in_a_parameter_answers_400_not_500(learner_client, url):
    response = learner_client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_a_page_without_a_nul_still_answers(learner_client):
    assert learner_client.get("/learning/?q=ab").status_code == 200

"""A learner's own characteristics: opt-in, changeable, deletable, readable by them alone;
bad input is a clear error with nothing written."""

from __future__ import annotations

import pytest

from equity.models import Characteristic
from equity.services import characteristic_record
from equity.tests.factories import gender_category
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(program):
    return gender_category(program.institution)


def test_nothing_is_recorded_until_the_learner_chooses(client, learner, category):
    client.force_login(learner)
    response = client.get("/equity/characteristics/")
    assert response.status_code == 200
    assert b"Not recorded" in response.content
    assert b"only you" in response.content
    assert not Characteristic.objects.exists()


def test_the_learner_records_changes_and_clears_an_answer_on_the_page(client, learner, category):
    client.force_login(learner)
    assert client.post("/equity/characteristics/", {"gender": "woman"}).status_code == 302
    assert Characteristic.objects.get(learner=learner).option.key == "woman"
    client.post("/equity/characteristics/", {"gender": "__prefer_not_to_say__"})
    answer = Characteristic.objects.get(learner=learner)
    assert answer.prefer_not_to_say and answer.option is None
    client.post("/equity/characteristics/", {"gender": ""})
    assert not Characteristic.objects.filter(learner=learner).exists()


def test_the_delete_button_removes_the_answer(client, learner, category):
    client.force_login(learner)
    client.post("/equity/characteristics/", {"gender": "man"})
    assert client.post("/equity/characteristics/gender/delete/").status_code == 302
    assert not Characteristic.objects.exists()
    assert client.post("/equity/characteristics/gender/delete/").status_code == 404


def test_an_option_the_category_does_not_offer_is_refused_on_the_page(client, learner, category):
    client.force_login(learner)
    response = client.post("/equity/characteristics/", {"gender": "martian"})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Characteristic.objects.exists()


def test_api_records_and_returns_only_the_callers_own(client, learner, director, category):
    client.force_login(learner)
    response = client.post(
        "/api/v1/equity/characteristics/",
        {"category": "gender", "option": "woman"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["option"] == "woman"
    own = client.get("/api/v1/equity/characteristics/").json()
    assert [a["option"] for a in own["answers"]] == ["woman"]
    assert [c["key"] for c in own["categories"]] == ["gender"]
    # The director of the learner's program reads only their own (none).
    client.force_login(director)
    theirs = client.get("/api/v1/equity/characteristics/").json()
    assert theirs["answers"] == [] and theirs["categories"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"category": "religion", "option": "x"}, "category"),
        ({"category": "gender", "option": "martian"}, "option"),
        ({"category": "gender"}, "option"),
        ({"category": "gender", "option": "woman", "prefer_not_to_say": True}, "option"),
        ({"option": "woman"}, "category"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    client, learner, category, body, field
):
    client.force_login(learner)
    response = client.post("/api/v1/equity/characteristics/", body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Characteristic.objects.exists()


def test_a_category_of_another_institution_is_not_the_learners_to_answer(
    client, learner, other_program
):
    gender_category(other_program.institution)
    client.force_login(learner)
    response = client.post(
        "/api/v1/equity/characteristics/",
        {"category": "gender", "option": "woman"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "not a category your institution asks about" in response.json()["category"][0]


def test_a_retried_record_leaves_one_answer(client, learner, category):
    client.force_login(learner)
    for _ in range(2):
        client.post(
            "/api/v1/equity/characteristics/",
            {"category": "gender", "option": "man"},
            content_type="application/json",
        )
    assert Characteristic.objects.filter(learner=learner).count() == 1


def test_api_delete_is_204_then_404(client, learner, category):
    client.force_login(learner)
    client.post(
        "/api/v1/equity/characteristics/",
        {"category": "gender", "option": "man"},
        content_type="application/json",
    )
    assert client.delete("/api/v1/equity/characteristics/gender/").status_code == 204
    assert client.delete("/api/v1/equity/characteristics/gender/").status_code == 404


def test_the_admin_shows_rounded_counts_and_never_an_answer(client, admin_user, category):
    for _ in range(7):
        learner = UserFactory()
        EnrollmentFactory(learner=learner, program=category.institution.programs.first())
        characteristic_record(learner=learner, category_key="gender", option_key="woman")
    client.force_login(admin_user)
    response = client.get("/admin/equity/characteristic/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "5 or more" in body  # seven answers, rounded down
    assert "Woman" not in body and "@" not in body.split("<table>")[1]
    answer = Characteristic.objects.first()
    assert client.get(f"/admin/equity/characteristic/{answer.pk}/change/").status_code == 404


def test_query_counts_of_the_own_list_do_not_grow_with_answers(
    client, learner, category, django_assert_num_queries
):
    client.force_login(learner)
    characteristic_record(learner=learner, category_key="gender", option_key="woman")
    # Expect 6 queries: * session * user * categories * their options * answers * uses
    with django_assert_num_queries(6):
        client.get("/api/v1/equity/characteristics/")
    for key in ("religion", "first-gen"):
        other = type(category).objects.create(institution=category.institution, key=key, name=key)
        other.options.create(key="yes", label="Yes")
        characteristic_record(learner=learner, category_key=key, option_key="yes")
    with django_assert_num_queries(6):
        client.get("/api/v1/equity/characteristics/")

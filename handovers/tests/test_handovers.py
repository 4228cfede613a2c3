"""Handover with consent: built from the learner's record, previewed exactly, sent, read by
the receiving program's reviewers only once sent (each read logged), withdrawn."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from handovers.models import Handover
from handovers.services import (
    handover_create,
    handover_delete,
    handover_refresh,
    handover_send,
    handover_withdraw,
)
from handovers.tests.factories import sent
from portfolio.models import AccessLog
from portfolio.tests.factories import (
    AssessmentFactory,
    EvidenceFactory,
    GoalFactory,
    SelfAssessmentFactory,
    framework_with_tree,
)
from tests import factories as base

pytestmark = pytest.mark.django_db


@pytest.fixture
def residency(db):
    return base.ProgramFactory(name="Northbridge IM residency")


@pytest.fixture
def residency_director(residency):
    user = base.UserFactory(email="pd@example.org", display_name="Dr Okafor")
    base.ProgramRoleFactory(user=user, program=residency, role="director")
    return user


@pytest.fixture
def student(program, assessor):
    """A final-year student rated on the school's EPAs, with a goal and two evidence items."""
    user = base.UserFactory(email="student@example.org", display_name="Sam Student")
    base.EnrollmentFactory(learner=user, program=program, training_year=4)
    framework, epas = framework_with_tree(code="epas", domains=1, per_domain=2)
    program.frameworks.add(framework)
    AssessmentFactory(
        learner=user,
        assessor=assessor,
        competency=epas[0],
        level=Decimal(3),
        observed_on=dt.date(2026, 3, 1),
    )
    SelfAssessmentFactory(
        learner=user, competency=epas[1], level=Decimal("2.5"), assessed_on=dt.date(2026, 3, 2)
    )
    GoalFactory(learner=user, title="Lead a family meeting")
    EvidenceFactory(learner=user, title="Night float log", body="Twelve admissions.")
    EvidenceFactory(learner=user, title="Private thoughts", kind="reflection")
    return user


def test_a_draft_holds_exactly_what_was_chosen(student, residency):
    chosen = student.evidence.get(title="Night float log")
    handover = handover_create(
        learner=student,
        program_id=residency.pk,
        note="Looking forward to July.",
        evidence_ids=[chosen.pk],
    )

    content = handover.content
    assert [
        (row["code"], row["assessor_level"], row["self_level"]) for row in content["levels"]
    ] == [
        ("D1.1", "3", None),
        ("D1.2", None, "2.5"),
    ]
    assert [goal["title"] for goal in content["goals"]] == ["Lead a family meeting"]
    assert [item["title"] for item in content["evidence"]] == ["Night float log"]
    assert handover.status == Handover.Status.DRAFT


def test_leaving_parts_out_leaves_them_out(student, residency):
    handover = handover_create(
        learner=student, program_id=residency.pk, include_levels=False, include_goals=False
    )
    assert handover.content == {"levels": [], "goals": [], "evidence": []}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"program_id": 999999}, "program"),
        ({"program_id": None}, "program"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_handovers_are_refused_and_nothing_is_written(student, residency, changes, field):
    values = {"learner": student, "program_id": residency.pk, **changes}
    with pytest.raises(ValidationError) as caught:
        handover_create(**values)
    assert field in caught.value.message_dict
    assert not Handover.objects.exists()


def test_someone_elses_evidence_cannot_go_in(student, residency, other_learner):
    theirs = EvidenceFactory(learner=other_learner)
    with pytest.raises(ValidationError) as caught:
        handover_create(learner=student, program_id=residency.pk, evidence_ids=[theirs.pk])
    assert "evidence" in caught.value.message_dict


def test_the_program_reads_a_handover_only_between_send_and_withdraw(
    client, student, residency, residency_director, director
):
    handover = handover_create(learner=student, program_id=residency.pk)
    url = reverse("handover-received-detail", args=[handover.public_id])
    client.force_login(residency_director)
    assert client.get(url).status_code == 404  # a draft

    handover_send(handover=handover)
    handover_send(handover=handover)  # twice is once
    response = client.get(url)
    assert response.status_code == 200
    assert "Lead a family meeting" in response.content.decode()
    client.force_login(director)  # the school's director: not the receiving program
    assert client.get(url).status_code == 404

    handover_withdraw(handover=handover)
    client.force_login(residency_director)
    assert client.get(url).status_code == 404
    with pytest.raises(ValidationError):
        handover_send(handover=handover)


def test_every_read_by_the_program_lands_in_the_learners_access_log(
    client, student, residency, residency_director
):
    handover = handover_send(handover=handover_create(learner=student, program_id=residency.pk))
    client.force_login(residency_director)
    client.get(reverse("handover-received-list"))
    client.get(reverse("handover-received-detail", args=[handover.public_id]))
    client.get(f"/api/v1/handovers/received/{handover.public_id}/")

    log = list(
        AccessLog.objects.filter(learner=student).values_list(
            "viewer_name", "item_type", "action", "item_label"
        )
    )
    assert sorted(log) == sorted(
        [
            ("Dr Okafor", "handover", "list", "Handover to Northbridge IM residency"),
            ("Dr Okafor", "handover", "view", "Handover to Northbridge IM residency"),
            ("Dr Okafor", "handover", "view", "Handover to Northbridge IM residency"),
        ]
    )
    client.force_login(student)
    assert "Dr Okafor" in client.get(reverse("access-log")).content.decode()


def test_a_sent_handover_stays_as_previewed_and_a_draft_can_be_rebuilt(student, residency):
    draft = handover_create(learner=student, program_id=residency.pk)
    GoalFactory(learner=student, title="Second goal")
    assert len(draft.content["goals"]) == 1
    draft = handover_refresh(handover=draft)
    assert len(draft.content["goals"]) == 2
    handover_send(handover=draft)
    GoalFactory(learner=student, title="Third goal")
    with pytest.raises(ValidationError):
        handover_refresh(handover=draft)
    draft.refresh_from_db()
    assert len(draft.content["goals"]) == 2
    with pytest.raises(ValidationError):
        handover_delete(handover=draft)


def test_the_pages_build_preview_and_send(client, student, residency):
    client.force_login(student)
    chosen = student.evidence.get(title="Night float log")
    response = client.post(
        reverse("handover-create"),
        {
            "program": residency.pk,
            "include_levels": "on",
            "include_goals": "on",
            "evidence": [chosen.pk],
            "note": "Hello",
        },
    )
    handover = Handover.objects.get()
    assert response["Location"] == reverse("handover-detail", args=[handover.public_id])
    preview = client.get(response["Location"]).content.decode()
    assert "Night float log" in preview and "Private thoughts" not in preview
    assert "Send to Northbridge IM residency" in preview
    client.post(reverse("handover-send", args=[handover.public_id]))
    handover.refresh_from_db()
    assert handover.status == Handover.Status.SENT
    bad = client.post(reverse("handover-create"), {"program": 999999})
    assert bad.status_code == 400


def test_the_api_builds_sends_and_withdraws(client, student, residency):
    client.force_login(student)
    created = client.post(
        "/api/v1/handovers/", {"program": residency.pk}, content_type="application/json"
    )
    assert created.status_code == 201
    public_id = created.json()["public_id"]
    assert created.json()["content"]["goals"][0]["title"] == "Lead a family meeting"
    assert client.post(f"/api/v1/handovers/{public_id}/send/").json()["status"] == "sent"
    assert client.post(f"/api/v1/handovers/{public_id}/withdraw/").json()["status"] == "withdrawn"


@pytest.mark.parametrize(
    "body",
    [
        {"program": 999999},
        {"program": "x"},
        {},
        {"program": 1, "evidence": [999999]},
        {"program": 1, "note": "x" * 3000},
    ],
)
def test_the_api_answers_bad_handovers_with_400(client, student, body):
    client.force_login(student)
    response = client.post("/api/v1/handovers/", body, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Handover.objects.exists()


@pytest.mark.parametrize("size", [2, 15])
def test_the_received_lists_run_a_fixed_number_of_queries(
    client, residency, residency_director, size, django_assert_num_queries
):
    for _ in range(size):
        sent(learner=base.UserFactory(), program=residency)
    client.force_login(residency_director)
    # 1 session, 2 user, 3 count, 4 the page of handovers with learners and programs,
    # 5 the access log's rows (one insert), 6 the person's roles (navigation)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(7):
        assert client.get(reverse("handover-received-list")).status_code == 200
    # 1 session, 2 user, 3 the page of handovers, 4 the access log's rows
    with django_assert_num_queries(4):
        response = client.get("/api/v1/handovers/received/")
    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("size", [2, 15])
def test_the_learners_handover_lists_run_a_fixed_number_of_queries(
    client, student, residency, size, django_assert_num_queries
):
    for _ in range(size):
        handover_create(learner=student, program_id=residency.pk, include_levels=False)
    client.force_login(student)
    # 1 session, 2 user, 3 count, 4 the page with programs and institutions, 5 the roles
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(6):
        assert client.get(reverse("handover-list")).status_code == 200
    # 1 session, 2 user, 3 the page with programs
    with django_assert_num_queries(3):
        assert client.get("/api/v1/handovers/").status_code == 200

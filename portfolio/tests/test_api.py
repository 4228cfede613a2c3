"""The portfolio and check-in API: every learner action, JSON errors, cursor pagination,
and fixed query counts for the lists."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from assessments.models import CheckIn, SelfAssessment
from core.api import Cursor
from core.renderers import FastJSONRenderer
from portfolio import services
from portfolio.api import EVIDENCE_ROW_FIELDS, EvidenceSerializer, evidence_list_data
from portfolio.models import AccessLog, Evidence, Goal, GoalProgressNote, ShareGrant
from portfolio.selectors import (
    active_grants,
    competencies_of_evidence_read,
    evidence_rows_visible_to,
    evidence_visible_to,
)
from portfolio.tests.factories import (
    EvidenceFactory,
    GoalFactory,
    ReflectionFactory,
    ShareGrantFactory,
    framework_with_tree,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def api(client, learner):
    client.force_login(learner)
    return client


# --- Check-ins --------------------------------------------------------------------------------


def checkin_payload(leaves, token=None, **overrides):
    return {
        "client_token": str(token or uuid.uuid4()),
        "items": [
            {"competency": leaves[0].pk, "level": "2.5", "note": "Huddle"},
            {"competency": leaves[1].pk, "level": "3"},
        ],
        **overrides,
    }


def test_a_check_in_is_recorded_and_a_retry_returns_it_without_a_second(api, leaves):
    payload = checkin_payload(leaves)
    first = api.post("/api/v1/check-ins/", payload, content_type="application/json")
    again = api.post("/api/v1/check-ins/", payload, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert [i["level"] for i in first.json()["items"]] == ["2.5", "3.0"]
    assert CheckIn.objects.count() == 1
    assert SelfAssessment.objects.count() == 2


@pytest.mark.parametrize("evidence", [0, 3])
def test_a_check_in_post_runs_a_fixed_number_of_queries_and_answers_as_the_detail_reads(
    api, learner, leaves, evidence, django_assert_num_queries
):
    items = EvidenceFactory.create_batch(evidence, learner=learner)
    for index, item in enumerate(items):  # different days and entry times: the order shows
        item.occurred_on = dt.date(2025, 9, 1 + index % 2)
        item.save(update_fields=["occurred_on"])
    payload = {
        "client_token": str(uuid.uuid4()),
        "items": [
            {
                "competency": leaf.pk,
                "level": "2.5" if index % 2 else "3",
                "note": f" Note {index} ",
                "evidence": [e.pk for e in items[: index % 4]],
            }
            for index, leaf in enumerate(leaves[:4])
        ],
    }
    # 1 session, 2 user, (3 own evidence, when linked), 4 competencies with their scale's
    # levels, 5 savepoint (the test's transaction; outside one and with no evidence to link,
    # none: the next statement commits itself), 6 the check-in, its items and the monthly
    # summary upsert in one statement (SQLite: the check-in, its items, a summary delete and
    # an insert), (7 evidence links), 8 release. No read-back: the answer is what was written.
    # (PostgreSQL had 7 and 9 before the check-in's writes became one statement.)
    writes = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries((7 if evidence else 5) + writes):
        response = api.post("/api/v1/check-ins/", payload, content_type="application/json")
    assert response.status_code == 201
    detail = api.get(f"/api/v1/check-ins/{response.json()['id']}/")
    assert response.json() == detail.json()
    assert sum(len(i["evidence"]) for i in response.json()["items"]) == (6 if evidence else 0)


def test_a_level_not_on_the_scale_is_a_400_per_item_and_nothing_is_written(api, leaves):
    payload = checkin_payload(leaves)
    payload["items"][1]["level"] = "2.3"
    response = api.post("/api/v1/check-ins/", payload, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert "detail" in body
    assert "not on the" in body["items"]["1"][0]
    assert not CheckIn.objects.exists()


def test_a_competency_of_a_framework_not_in_use_is_a_400(api, leaves):
    _, foreign = framework_with_tree(code="foreign")
    payload = checkin_payload(leaves)
    payload["items"][0]["competency"] = foreign[0].pk
    response = api.post("/api/v1/check-ins/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "0" in response.json()["items"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"client_token": "not-a-uuid", "items": []},
        {"client_token": str(uuid.uuid4()), "items": []},
        {"client_token": str(uuid.uuid4()), "items": [{"competency": 1, "level": "many"}]},
        {"client_token": str(uuid.uuid4()), "items": "nope"},
    ],
)
def test_malformed_check_ins_are_400s_with_field_errors(api, leaves, payload):
    response = api.post("/api/v1/check-ins/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not CheckIn.objects.exists()


def test_a_token_of_someone_elses_check_in_is_a_409(api, other_learner, leaves):
    theirs = CheckIn.objects.create(learner=other_learner)
    response = api.post(
        "/api/v1/check-ins/",
        checkin_payload(leaves, token=theirs.client_token),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "detail" in response.json()


def test_the_self_assessment_history_filters_by_competency(api, learner, leaves):
    api.post("/api/v1/check-ins/", checkin_payload(leaves), content_type="application/json")
    response = api.get(f"/api/v1/self-assessments/?competency={leaves[1].pk}")
    assert response.status_code == 200
    assert [r["competency"]["code"] for r in response.json()["results"]] == [leaves[1].code]
    assert api.get("/api/v1/self-assessments/?competency=x").status_code == 400


def test_histories_paginate_by_cursor(api, learner, leaves):
    SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            competency=leaves[0],
            level=Decimal("2"),
            assessed_on=dt.date(2025, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(150)
    )
    first = api.get("/api/v1/self-assessments/").json()
    assert len(first["results"]) == 100
    assert "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 50
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(seen) == 150


# --- Evidence ---------------------------------------------------------------------------------


def test_evidence_is_created_with_a_file_by_multipart_upload(api, leaves):
    response = api.post(
        "/api/v1/evidence/",
        {
            "kind": "certificate",
            "title": "ACLS",
            "credit_hours": "8",
            "competencies": [leaves[0].pk],
            "file": SimpleUploadedFile("acls.pdf", PDF),
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["file"]["content_type"] == "application/pdf"
    assert body["visible_to"] == []
    download = api.get(body["file"]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_a_file_whose_content_does_not_match_is_a_415(api):
    response = api.post(
        "/api/v1/evidence/",
        {"kind": "document", "title": "x", "file": SimpleUploadedFile("x.pdf", PNG)},
    )
    assert response.status_code == 415
    assert "file" in response.json()
    assert not Evidence.objects.exists()


def test_an_oversize_file_is_a_413(api, settings):
    settings.UPLOAD_MAX_BYTES = 10
    response = api.post(
        "/api/v1/evidence/",
        {"kind": "document", "title": "x", "file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_evidence_can_be_changed_but_not_its_kind_and_deleted(api, learner):
    evidence = EvidenceFactory(learner=learner)
    response = api.patch(
        f"/api/v1/evidence/{evidence.pk}/",
        {"title": "Renamed", "kind": "reflection"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["kind"]) == ("Renamed", "case_log")
    assert api.delete(f"/api/v1/evidence/{evidence.pk}/").status_code == 204
    assert not Evidence.objects.exists()


def test_another_learners_evidence_is_a_404(api, other_learner):
    theirs = EvidenceFactory(learner=other_learner)
    assert api.get(f"/api/v1/evidence/{theirs.pk}/").status_code == 404
    assert api.delete(f"/api/v1/evidence/{theirs.pk}/").status_code == 404
    assert Evidence.objects.filter(pk=theirs.pk).exists()


def test_visible_to_names_the_grantee(api, learner, coach):
    EvidenceFactory(learner=learner)
    ShareGrantFactory(learner=learner, grantee=coach, share_evidence=True)
    assert api.get("/api/v1/evidence/").json()["results"][0]["visible_to"] == [coach.name]


def test_the_evidence_list_is_what_the_evidence_serializer_renders(api, learner, coach, leaves):
    """`evidence_list_data` builds the list without DRF's serializer: byte for byte the same."""
    with_file = services.evidence_create(
        learner=learner,
        kind="certificate",
        title="ACLS",
        credit_hours=Decimal("8"),
        competency_ids=[leaves[1].pk, leaves[0].pk],
        upload=SimpleUploadedFile("acls.pdf", PDF),
        external_source="CME portal",
        external_id="A-1",
    )
    _, other_framework = framework_with_tree(code="aa-epas", version="1.0")
    with_file.competencies.add(other_framework[0])  # another framework, first in order
    ReflectionFactory(learner=learner, body="", occurred_on=dt.date(2025, 9, 2))
    EvidenceFactory(
        learner=learner, unmatched_competencies=[{"code": "X.1"}], credit_hours=Decimal("0.5")
    )
    ShareGrantFactory(learner=learner, grantee=coach, share_evidence=True)
    ShareGrantFactory(learner=learner, share_reflections=True)
    grants = list(active_grants(learner=learner))
    items = evidence_visible_to(viewer=learner, learner=learner).order_by("-occurred_on", "-id")
    rows = list(
        evidence_rows_visible_to(
            viewer=learner, learner=learner, fields=EVIDENCE_ROW_FIELDS
        ).order_by("-occurred_on", "-id")
    )
    tags = competencies_of_evidence_read([row["id"] for row in rows]).run()
    renderer = FastJSONRenderer()
    expected = EvidenceSerializer(items, many=True, context={"grants": grants}).data
    built = renderer.render(evidence_list_data(rows, tags, grants))
    assert built == renderer.render(expected)
    assert api.get("/api/v1/evidence/").json()["results"] == json.loads(built)
    assert [len(item["competencies"]) for item in json.loads(built)] == [3, 0, 0]


def test_an_empty_evidence_list_runs_the_statements_of_a_full_one(api, learner, leaves):
    """The page's competencies and the grants travel together; with no items the competencies'
    statement names no id and finds nothing, and the count of queries stays pinned."""
    with CaptureQueriesContext(connection) as empty:
        assert api.get("/api/v1/evidence/").json()["results"] == []
    EvidenceFactory(learner=learner).competencies.add(leaves[0])
    with CaptureQueriesContext(connection) as one:
        [item] = api.get("/api/v1/evidence/").json()["results"]
    assert [tag["id"] for tag in item["competencies"]] == [leaves[0].pk]
    assert len(empty) == len(one)


@pytest.mark.parametrize(
    "query", ["", "?page_size=3", "?page_size=2&kind=case_log", "?page_size=7", "?page_size=x"]
)
def test_the_first_evidence_page_is_the_cursor_paginators_own(
    api, learner, coach, leaves, monkeypatch, query
):
    """The first page is read in one round trip with its competencies and the grants
    (`Cursor.first_page`): its items and links are what DRF's cursor paginator answers for the
    same request (three items a day, so pages end inside a day), and its next link leads on."""
    day = dt.date(2025, 9, 1)
    for i in range(7):
        item = EvidenceFactory(
            learner=learner,
            occurred_on=day - dt.timedelta(days=i // 3),
            kind="case_log" if i % 2 else "document",
        )
        item.competencies.add(leaves[i % 3])
    ShareGrantFactory(learner=learner, grantee=coach, share_evidence=True)
    url = f"/api/v1/evidence/{query}"

    first = api.get(url).json()
    monkeypatch.setattr(Cursor, "starts", lambda self, request: False)
    assert api.get(url).json() == first

    kind = "case_log" if "kind" in query else None
    listed = [item["id"] for item in first["results"]]
    following = first["next"]
    while following:
        page = api.get(following).json()
        listed += [item["id"] for item in page["results"]]
        following = page["next"]
    items = Evidence.objects.filter(learner=learner).order_by("-occurred_on", "-id")
    assert listed == [e.pk for e in items if kind in (None, e.kind)]


# --- Goals ------------------------------------------------------------------------------------


def test_goals_are_created_changed_and_noted(api, learner, leaves):
    evidence = EvidenceFactory(learner=learner)
    created = api.post(
        "/api/v1/goals/",
        {
            "title": "Lead rounds",
            "measure": "Twice, rated 3+",
            "target_date": "2026-04-01",
            "competencies": [leaves[0].pk],
            "evidence": [evidence.pk],
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    goal_id = created.json()["id"]
    assert (
        api.patch(
            f"/api/v1/goals/{goal_id}/", {"status": "achieved"}, content_type="application/json"
        ).json()["status"]
        == "achieved"
    )
    note = api.post(
        f"/api/v1/goals/{goal_id}/progress-notes/",
        {"text": "Done"},
        content_type="application/json",
    )
    assert note.status_code == 201
    assert GoalProgressNote.objects.get().text == "Done"


def test_evidence_of_another_learner_on_a_goal_is_a_400_and_nothing_is_written(api, other_learner):
    theirs = EvidenceFactory(learner=other_learner)
    response = api.post(
        "/api/v1/goals/",
        {"title": "x", "measure": "y", "target_date": "2026-04-01", "evidence": [theirs.pk]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "evidence" in response.json()
    assert not Goal.objects.exists()


def test_linking_evidence_to_another_learners_goal_is_a_404(api, learner, other_learner):
    goal = GoalFactory(learner=other_learner)
    mine = EvidenceFactory(learner=learner)
    response = api.patch(
        f"/api/v1/goals/{goal.pk}/", {"evidence": [mine.pk]}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not goal.evidence.exists()


# --- Sharing, access log ----------------------------------------------------------------------


def test_share_grants_are_given_listed_and_revoked(api, coach):
    created = api.post(
        "/api/v1/share-grants/",
        {"grantee_email": coach.email, "scopes": ["checkins", "goals"]},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["active"] is True
    grant_id = created.json()["id"]
    revoked = api.post(f"/api/v1/share-grants/{grant_id}/revoke/")
    assert revoked.json()["active"] is False
    assert api.get("/api/v1/share-grants/").json()["results"][0]["revoked_at"] is not None


def test_a_grant_with_an_unknown_scope_or_past_expiry_is_a_400(api, coach):
    bad_scope = api.post(
        "/api/v1/share-grants/",
        {"grantee_email": coach.email, "scopes": ["all"]},
        content_type="application/json",
    )
    past = api.post(
        "/api/v1/share-grants/",
        {"grantee_email": coach.email, "scopes": ["goals"], "expires_on": "2001-01-01"},
        content_type="application/json",
    )
    assert (bad_scope.status_code, past.status_code) == (400, 400)
    assert "expires_on" in past.json()
    assert not ShareGrant.objects.exists()


def test_the_access_log_lists_reads_by_others(api, learner, coach):
    grant = ShareGrantFactory(learner=learner, grantee=coach)
    AccessLog.objects.create(
        learner=learner,
        viewer=coach,
        viewer_name=coach.name,
        grant=grant,
        scope="goals",
        item_type="goal",
        item_id=1,
        action="view",
    )
    body = api.get("/api/v1/access-log/").json()
    assert [(e["viewer_name"], e["action"]) for e in body["results"]] == [(coach.name, "view")]


def test_the_timeline_profile_and_dashboard_are_in_the_api(api, leaves):
    assert api.get("/api/v1/me/enrollments/").json()[0]["current"] is True
    assert (
        api.put(
            "/api/v1/me/profile/",
            {"headline": "PGY-1", "about": ""},
            content_type="application/json",
        ).json()["headline"]
        == "PGY-1"
    )
    dashboard = api.get("/api/v1/me/dashboard/").json()
    assert len(dashboard["rows"]) == len(leaves)


def test_anonymous_callers_get_401_json(client):
    response = client.get("/api/v1/evidence/")
    assert response.status_code == 401
    assert "detail" in response.json()


# --- Query counts -----------------------------------------------------------------------------


def _fill(learner, leaves, size):
    checkins = CheckIn.objects.bulk_create(CheckIn(learner=learner) for _ in range(size))
    rows = SelfAssessment.objects.bulk_create(
        SelfAssessment(
            learner=learner,
            checkin=c,
            competency=leaves[0],
            level=Decimal("2"),
            assessed_on=dt.date(2025, 1, 1),
        )
        for c in checkins
    )
    evidence = Evidence.objects.bulk_create(
        Evidence(learner=learner, kind="case_log", title=f"E{i}") for i in range(size)
    )
    SelfAssessment.evidence.through.objects.bulk_create(
        SelfAssessment.evidence.through(selfassessment_id=r.pk, evidence_id=e.pk)
        for r, e in zip(rows, evidence, strict=True)
    )
    Evidence.competencies.through.objects.bulk_create(
        Evidence.competencies.through(evidence_id=e.pk, competency_id=leaves[0].pk)
        for e in evidence
    )
    goals = Goal.objects.bulk_create(
        Goal(learner=learner, title=f"G{i}", measure="m", target_date=dt.date(2026, 1, 1))
        for i in range(size)
    )
    Goal.competencies.through.objects.bulk_create(
        Goal.competencies.through(goal_id=g.pk, competency_id=leaves[0].pk) for g in goals
    )
    Goal.evidence.through.objects.bulk_create(
        Goal.evidence.through(goal_id=g.pk, evidence_id=e.pk)
        for g, e in zip(goals, evidence, strict=True)
    )
    GoalProgressNote.objects.bulk_create(
        GoalProgressNote(goal=g, text="n", noted_on=dt.date(2025, 1, 1)) for g in goals
    )
    coach_grant = ShareGrantFactory(learner=learner)
    AccessLog.objects.bulk_create(
        AccessLog(
            learner=learner,
            viewer=coach_grant.grantee,
            viewer_name="C",
            grant=coach_grant,
            scope="goals",
            item_type="goal",
            item_id=i,
            action="view",
        )
        for i in range(size)
    )
    ShareGrant.objects.bulk_create(
        ShareGrant(learner=learner, grantee=coach_grant.grantee, share_goals=True)
        for _ in range(size)
    )


# Every request: 1 session, 2 user. Then per endpoint (all queries, page size):
LIST_QUERIES = {
    # 3 check-ins page (+ framework), 4 their items (+ competency, framework), 5 items' evidence
    "/api/v1/check-ins/": (5, 20),
    # 3 page (+ competency, framework), 4 evidence ids
    "/api/v1/self-assessments/": (4, 100),
    # 3 page (plain rows), 4 competencies with their frameworks, 5 active grants (visible_to)
    "/api/v1/evidence/": (5, 50),
    # 3 page, 4 competencies, 5 frameworks, 6 evidence, 7 its competencies, 8 their frameworks,
    # 9 progress notes, 10 active grants
    "/api/v1/goals/": (10, 50),
    # 3 page (+ grantee, program, institution)
    "/api/v1/share-grants/": (3, 50),
    # 3 page
    "/api/v1/access-log/": (3, 100),
}


@pytest.mark.parametrize("size", [10, 1000])
@pytest.mark.parametrize("url", list(LIST_QUERIES))
def test_api_lists_run_a_fixed_number_of_queries(
    api, learner, leaves, size, url, django_assert_num_queries
):
    _fill(learner, leaves, size)
    queries, page_size = LIST_QUERIES[url]
    with django_assert_num_queries(queries):
        response = api.get(url)
    assert response.status_code == 200
    total = size + 1 if url == "/api/v1/share-grants/" else size
    assert len(response.json()["results"]) == min(total, page_size)


def test_a_profile_never_saved_has_no_updated_at_and_the_schema_allows_it(api):
    assert api.get("/api/v1/me/profile/").json() == {
        "headline": "",
        "about": "",
        "updated_at": None,
    }
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["Profile"]["properties"]["updated_at"]["nullable"]

"""Who reads what: each client its own statements and documents, unless granted more;
credentials are issued, rotated and revoked."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from xapi.models import LrsClient, Statement, hash_secret
from xapi.services.clients import lrs_client_revoke, lrs_client_rotate
from xapi.tests.helpers import new_lrs, statement

pytestmark = pytest.mark.django_db

AGENT = json.dumps({"mbox": "mailto:ana@example.org"})
STATE = {"activityId": "http://example.org/a", "agent": AGENT, "stateId": "progress"}


def test_a_client_cannot_read_another_clients_statement():
    sim_centre, question_bank = new_lrs("Sim centre"), new_lrs("Question bank")
    [theirs] = sim_centre.store(statement())

    by_id = question_bank.get("statements", {"statementId": theirs})
    listed = question_bank.get("statements").json()["statements"]

    assert by_id.status_code == 404
    assert by_id.json()["detail"]
    assert listed == []


def test_no_query_of_another_client_reaches_its_statements_or_attachments():
    sim_centre, question_bank = new_lrs("Sim centre"), new_lrs("Question bank")
    [theirs] = sim_centre.store(statement())
    [attached] = [sim_centre.store_with_attachments(statement(), b"their trace")]
    [voiding] = sim_centre.store(
        statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": theirs},
        )
    )

    queries = [
        {"voidedStatementId": theirs},
        {"statementId": voiding},
        {"statementId": attached, "attachments": "true"},
        {"agent": AGENT},
        {"activity": "http://example.org/activities/suturing-station"},
        {"verb": "http://adlnet.gov/expapi/verbs/completed"},
    ]
    answers = [question_bank.get("statements", query) for query in queries]
    with_attachments = question_bank.get("statements", {"attachments": "true"})

    assert [a.status_code for a in answers[:3]] == [404, 404, 404]
    assert [a.json()["statements"] for a in answers[3:]] == [[], [], []]
    assert with_attachments.status_code == 200
    assert all(b"their trace" not in a.content for a in [*answers, with_attachments])


def test_a_client_cannot_void_another_clients_statement():
    sim_centre, question_bank = new_lrs("Sim centre"), new_lrs("Question bank")
    [theirs] = sim_centre.store(statement())

    question_bank.store(
        statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": theirs},
        )
    )

    assert sim_centre.get("statements", {"statementId": theirs}).status_code == 200
    assert not Statement.objects.get(statement_id=theirs).voided


def test_a_client_granted_reads_all_sees_every_clients_statements():
    sim_centre = new_lrs("Sim centre")
    [theirs] = sim_centre.store(statement())
    auditor = new_lrs("Auditor", reads_all=True)

    assert auditor.get("statements", {"statementId": theirs}).status_code == 200


def test_documents_are_kept_per_client():
    sim_centre, question_bank = new_lrs("Sim centre"), new_lrs("Question bank")
    path = "activities/state?" + "&".join(f"{k}={v}" for k, v in STATE.items())
    assert sim_centre.put(path, {"step": 3}).status_code == 204

    assert sim_centre.get("activities/state", STATE).json() == {"step": 3}
    assert question_bank.get("activities/state", STATE).status_code == 404


def test_a_more_link_does_not_work_for_another_client():
    owner, other = new_lrs("Owner"), new_lrs("Other")
    owner.store(statement(), statement())
    more = owner.get("statements", {"limit": "1"}).json()["more"]

    assert other.client.get(more, **other.headers()).status_code == 404


def test_create_lrs_client_prints_a_key_and_a_secret_and_keeps_only_its_hash(capsys):
    call_command("create_lrs_client", "Simulation centre")

    printed = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    client = LrsClient.objects.get(key=printed["key"])
    assert client.name == "Simulation centre"
    assert client.secret_hash == hash_secret(printed["secret"])
    assert printed["secret"] not in client.secret_hash


def test_a_rotated_secret_replaces_the_old_one():
    lrs = new_lrs()
    old = lrs.credentials
    lrs.credentials = lrs_client_rotate(client=old.client)

    assert lrs.get("statements").status_code == 200
    lrs.credentials = old
    assert lrs.get("statements").status_code == 401


def test_a_revoked_client_gets_401():
    lrs = new_lrs()
    lrs_client_revoke(client=lrs.credentials.client)

    response = lrs.get("statements")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


def test_admin_lists_clients_and_rotates_a_secret(admin_client):
    lrs = new_lrs("Sim centre")
    before = LrsClient.objects.get(pk=lrs.credentials.client.pk).secret_hash

    listing = admin_client.get("/admin/xapi/lrsclient/")
    rotated = admin_client.post(
        "/admin/xapi/lrsclient/",
        {"action": "rotate_secret", "_selected_action": [lrs.credentials.client.pk]},
        follow=True,
    )

    assert listing.status_code == 200
    assert b"Sim centre" in listing.content
    assert b"new secret" in rotated.content
    assert LrsClient.objects.get(pk=lrs.credentials.client.pk).secret_hash != before


def test_statement_query_count_does_not_grow_with_the_statements(django_assert_num_queries):
    lrs = new_lrs()
    lrs.store(*[statement() for _ in range(3)])
    # Expect 2 queries: * the client by key * one page of statements
    with django_assert_num_queries(2):
        assert len(lrs.get("statements").json()["statements"]) == 3
    lrs.store(*[statement() for _ in range(40)])
    with django_assert_num_queries(2):
        assert len(lrs.get("statements").json()["statements"]) == 43


def test_filtered_query_count_does_not_grow_with_the_statements(django_assert_num_queries):
    lrs = new_lrs()
    params = {"agent": AGENT, "verb": "http://adlnet.gov/expapi/verbs/completed"}
    lrs.store(*[statement() for _ in range(3)])
    # Expect 2 queries: * the client by key * one page of matching statements
    with django_assert_num_queries(2):
        assert len(lrs.get("statements", params).json()["statements"]) == 3
    lrs.store(*[statement() for _ in range(40)])
    with django_assert_num_queries(2):
        assert len(lrs.get("statements", params).json()["statements"]) == 43

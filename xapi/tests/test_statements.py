"""The Statement resource beyond what the conformance suite checks: storage, paging,
atomic batches, and the malformed statements the suite leaves out."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from xapi.models import Attachment, Statement, StatementAgent
from xapi.tests.helpers import ACTIVITY, new_id, new_lrs, statement, with_attachments

pytestmark = pytest.mark.django_db


def test_stored_statement_carries_the_clients_authority_and_a_stored_time():
    lrs = new_lrs()
    [statement_id] = lrs.store(statement())

    response = lrs.get("statements", {"statementId": statement_id})

    assert response.status_code == 200
    body = response.json()
    assert body["authority"]["account"]["name"] == lrs.credentials.key
    assert body["stored"].endswith("Z")
    assert body["version"] == "1.0.0"
    assert response["X-Experience-API-Version"] == "1.0.3"


def test_same_id_same_content_is_accepted_once_and_different_content_is_a_conflict():
    lrs = new_lrs()
    data = statement(id=new_id())
    lrs.store(data)

    again = lrs.post("statements", data)
    changed = lrs.post("statements", {**data, "verb": {"id": "http://example.org/verbs/failed"}})

    assert again.status_code == 200
    assert changed.status_code == 409
    assert changed.json()["detail"]
    assert Statement.objects.count() == 1


def test_a_batch_with_one_bad_statement_stores_nothing():
    lrs = new_lrs()
    good = statement()
    bad = statement(verb={"id": "not an iri"})

    response = lrs.post("statements", [good, bad])

    assert response.status_code == 400
    assert "statement[1].verb.id" in response.json()["detail"]
    assert Statement.objects.count() == 0
    assert StatementAgent.objects.count() == 0


def test_more_links_walk_every_statement_once_in_storage_order():
    lrs = new_lrs()
    ids = [lrs.store(statement())[0] for _ in range(5)]

    seen: list[str] = []
    response = lrs.get("statements", {"limit": "2", "ascending": "true"})
    while True:
        body = response.json()
        seen += [item["id"] for item in body["statements"]]
        if not body["more"]:
            break
        response = lrs.client.get(body["more"], **lrs.headers())

    assert seen == ids


def test_voided_statement_leaves_queries_but_stays_readable_by_voided_id():
    lrs = new_lrs()
    [target] = lrs.store(statement())
    lrs.store(
        statement(
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": target},
        )
    )

    assert lrs.get("statements", {"statementId": target}).status_code == 404
    assert lrs.get("statements", {"voidedStatementId": target}).status_code == 200
    listed = [s["id"] for s in lrs.get("statements").json()["statements"]]
    assert target not in listed


def test_agent_filter_matches_the_actor_and_related_agents_the_instructor():
    lrs = new_lrs()
    instructor = {"mbox": "mailto:coach@example.org"}
    [with_instructor] = lrs.store(statement(context={"instructor": instructor}))
    lrs.store(statement())

    direct = lrs.get("statements", {"agent": json.dumps(instructor)}).json()["statements"]
    related = lrs.get(
        "statements", {"agent": json.dumps(instructor), "related_agents": "true"}
    ).json()["statements"]

    assert direct == []
    assert [s["id"] for s in related] == [with_instructor]


def with_definition(**definition: Any) -> dict[str, Any]:
    return statement(object={"id": ACTIVITY, "definition": definition})


# Rules of the data model the conformance suite has no test for; each must be a 400.
MALFORMED = {
    "duplicate choice ids": with_definition(
        interactionType="choice",
        choices=[{"id": "a"}, {"id": "a"}],
    ),
    "choices on a true-false interaction": with_definition(
        interactionType="true-false", choices=[{"id": "a"}]
    ),
    "raw score above max": statement(result={"score": {"raw": 11, "min": 0, "max": 10}}),
    "min above max": statement(result={"score": {"min": 5, "max": 1}}),
    "duration that is not ISO 8601": statement(result={"duration": "90 minutes"}),
    "language tag that is not RFC 5646": statement(
        verb={"id": "http://e.org/v", "display": {"english!": "x"}}
    ),
    "revision on an agent object": statement(
        object={"objectType": "Agent", "mbox": "mailto:x@example.org"},
        context={"revision": "2"},
    ),
    "registration that is not a UUID": statement(context={"registration": "abc"}),
    "identified group as authority": statement(
        authority={"objectType": "Group", "mbox": "mailto:g@example.org", "member": []}
    ),
    "an IRI longer than 2048 characters": statement(verb={"id": "http://e.org/" + "v" * 2048}),
    "a NUL character in an extension": statement(
        result={"extensions": {"http://e.org/x": "a\u0000b"}}
    ),
    "an unpaired surrogate": statement(result={"response": "\ud800"}),
    "a property set to null": statement(result={"success": None}),
    "an anonymous group with no members": statement(actor={"objectType": "Group", "member": []}),
    "an identifier longer than the LRS keeps": statement(
        actor={"account": {"homePage": "http://example.org", "name": "n" * 700}}
    ),
    "correct responses without an interaction type": with_definition(correctResponsesPattern=["a"]),
    "a timestamp with the unknown offset -00:00": statement(timestamp="2026-01-01T10:00:00-00:00"),
    "a negative attachment length": statement(
        attachments=[
            {
                "usageType": "http://example.org/usage/x",
                "display": {"en": "x"},
                "contentType": "text/plain",
                "length": -1,
                "sha2": "0" * 64,
                "fileUrl": "http://example.org/x",
            }
        ]
    ),
    "an attachment content type that is no media type": statement(
        attachments=[
            {
                "usageType": "http://example.org/usage/x",
                "display": {"en": "x"},
                "contentType": "2026-01-01",
                "length": 1,
                "sha2": "0" * 64,
                "fileUrl": "http://example.org/x",
            }
        ]
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_statement_is_a_400_naming_the_fault_and_stores_nothing(case):
    lrs = new_lrs()
    data = copy.deepcopy(MALFORMED[case])
    body = json.dumps(data).encode("utf-8", "surrogatepass")

    response = lrs.post("statements", body)

    assert response.status_code == 400, case
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert Statement.objects.count() == 0


def test_oversized_request_is_a_413_json_error(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    lrs = new_lrs()
    big = statement(result={"response": "x" * 5_000})

    response = lrs.post("statements", big)

    assert response.status_code == 413
    assert "larger" in response.json()["detail"]
    assert Statement.objects.count() == 0


def test_attachment_without_its_part_is_refused():
    lrs = new_lrs()
    attachment = {
        "usageType": "http://example.org/usage/certificate",
        "display": {"en-US": "Certificate"},
        "contentType": "application/pdf",
        "length": 10,
        "sha2": "0" * 64,
    }

    response = lrs.post("statements", statement(attachments=[attachment]))

    assert response.status_code == 400
    assert Statement.objects.count() == 0


def test_multipart_attachment_is_returned_byte_for_byte():
    import hashlib

    lrs = new_lrs()
    content = b"\x00\x01binary\r\n--not-a-boundary"
    sha2 = hashlib.sha256(content).hexdigest()
    data = statement(
        attachments=[
            {
                "usageType": "http://example.org/usage/trace",
                "display": {"en-US": "Trace"},
                "contentType": "application/octet-stream",
                "length": len(content),
                "sha2": sha2,
            }
        ]
    )
    body = (
        b"--zz\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(data).encode()
        + b"\r\n--zz\r\nContent-Type: application/octet-stream\r\n"
        + b"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: "
        + sha2.encode()
        + b"\r\n\r\n"
        + content
        + b"\r\n--zz--"
    )
    [statement_id] = lrs.post("statements", body, 'multipart/mixed; boundary="zz"').json()

    response = lrs.get("statements", {"statementId": statement_id, "attachments": "true"})

    assert response["Content-Type"].startswith("multipart/mixed")
    assert content in response.content


def test_json_nested_past_the_limit_is_a_400_not_a_crash():
    lrs = new_lrs()
    nested: Any = "leaf"
    for _ in range(70):
        nested = {"k": nested}

    deep_extension = lrs.post(
        "statements", statement(result={"extensions": {"http://e.org/x": nested}})
    )
    absurd = lrs.post("statements", b"[" * 100_000 + b"]" * 100_000)

    assert deep_extension.status_code == 400
    assert absurd.status_code == 400
    assert Statement.objects.count() == 0


def test_document_ids_and_content_types_past_the_columns_are_400s():
    lrs = new_lrs()
    agent = json.dumps({"mbox": "mailto:ana@example.org"})
    base = f"activities/state?activityId=http://example.org/a&agent={agent}"

    long_id = lrs.put(f"{base}&stateId={'s' * 3000}", {"a": 1})
    long_type = lrs.client.generic(
        "PUT",
        f"/xapi/{base}&stateId=ok",
        b"{}",
        content_type="application/json; x=" + "y" * 300,
        **lrs.headers(),
    )

    assert long_id.status_code == 400
    assert long_type.status_code == 400


# Rules of xAPI 2.0 only, sent as 2.0.
MALFORMED_2_0 = {
    "a timestamp without a time zone": statement(timestamp="2026-01-01T10:00:00"),
    "a context agent with empty relevantTypes": statement(
        context={
            "contextAgents": [
                {
                    "objectType": "contextAgent",
                    "agent": {"mbox": "mailto:tutor@example.org"},
                    "relevantTypes": [],
                }
            ]
        }
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_2_0))
def test_malformed_2_0_statement_is_a_400_and_stores_nothing(case):
    lrs = new_lrs()
    lrs.version = "2.0.0"

    response = lrs.post("statements", MALFORMED_2_0[case])

    assert response.status_code == 400, case
    assert response.json()["detail"]
    assert Statement.objects.count() == 0


def test_an_oversized_attachment_is_a_413_and_stores_nothing(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    lrs = new_lrs()

    response = lrs.post("statements", *with_attachments(statement(), b"x" * 60_000))

    assert response.status_code == 413
    assert "larger than this LRS takes" in response.json()["detail"]
    assert not Statement.objects.exists()
    assert not Attachment.objects.exists()


def test_a_part_whose_content_does_not_match_its_hash_is_refused():
    lrs = new_lrs()
    body, content_type = with_attachments(statement(), b"the real trace")
    forged = body.replace(b"the real trace", b"something else")

    response = lrs.post("statements", forged, content_type)

    assert response.status_code == 400
    assert "does not match its hash" in response.json()["detail"]
    assert not Statement.objects.exists()
    assert not Attachment.objects.exists()


def test_another_client_cannot_replace_stored_content_under_its_hash():
    owner, intruder = new_lrs("Owner"), new_lrs("Intruder")
    owner.store_with_attachments(statement(), b"ECG strip")
    body, content_type = with_attachments(statement(), b"ECG strip")

    replaced = intruder.post("statements", body.replace(b"ECG strip", b"ECG strap"), content_type)

    assert replaced.status_code == 400
    assert [bytes(c) for c in Attachment.objects.values_list("content", flat=True)] == [
        b"ECG strip"
    ]

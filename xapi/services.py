"""Writes of the learning record store: statements, documents and client credentials."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xapi.models import (
    Activity,
    Attachment,
    Document,
    LrsClient,
    Statement,
    StatementActivity,
    StatementAgent,
    hash_secret,
)
from xapi.multipart import Part
from xapi.signatures import check_signature, comparable
from xapi.validation import (
    SIGNATURE_USAGE,
    VOIDED_VERB,
    Rules,
    XapiError,
    agent_ifi,
    check_statement,
)

# PostgreSQL's jsonb cannot hold U+0000; json.dumps writes it as this escape.
NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def check_storable(statements: list[Any]) -> None:
    """Refuse text PostgreSQL cannot store: NUL characters and unpaired surrogates."""
    if NUL.search(json.dumps(statements).encode()):
        raise XapiError("Statements must not contain NUL (\\u0000) characters.")
    try:
        json.dumps(statements, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise XapiError("Statements must not contain unpaired UTF-16 surrogates.") from error


# --- clients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    client: LrsClient
    key: str
    secret: str


def lrs_client_create(*, name: str, reads_all: bool = False) -> Credentials:
    """Issue a client; the secret is returned once and only its hash is kept."""
    secret = LrsClient.new_secret()
    client = LrsClient.objects.create(
        name=name, key=LrsClient.new_key(), secret_hash=hash_secret(secret), reads_all=reads_all
    )
    return Credentials(client=client, key=client.key, secret=secret)


def lrs_client_rotate(*, client: LrsClient) -> Credentials:
    """Replace a client's secret; the old one stops working at once."""
    secret = LrsClient.new_secret()
    client.secret_hash = hash_secret(secret)
    client.rotated_at = timezone.now()
    client.save(update_fields=["secret_hash", "rotated_at"])
    return Credentials(client=client, key=client.key, secret=secret)


def lrs_client_revoke(*, client: LrsClient) -> None:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])


# --- statements ------------------------------------------------------------------------


def iter_agents(statement: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    """Every agent or group a statement names, with whether it is the actor or object."""
    yield statement["actor"], True
    target = statement["object"]
    if target.get("objectType") in ("Agent", "Group"):
        yield target, True
    if "authority" in statement:
        yield statement["authority"], False
    yield from context_agents(statement.get("context", {}))
    if target.get("objectType") == "SubStatement":
        yield target["actor"], False
        inner = target["object"]
        if inner.get("objectType") in ("Agent", "Group"):
            yield inner, False
        yield from context_agents(target.get("context", {}))


def context_agents(context: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    for key in ("instructor", "team"):
        if key in context:
            yield context[key], False
    for item in context.get("contextAgents", []):
        yield item["agent"], False
    for item in context.get("contextGroups", []):
        yield item["group"], False


def iter_activities(statement: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    target = statement["object"]
    if target.get("objectType", "Activity") == "Activity":
        yield target, True
    yield from context_activities(statement.get("context", {}))
    if target.get("objectType") == "SubStatement":
        inner = target["object"]
        if inner.get("objectType", "Activity") == "Activity":
            yield inner, False
        yield from context_activities(target.get("context", {}))


def context_activities(context: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    for value in context.get("contextActivities", {}).values():
        for activity in value if isinstance(value, list) else [value]:
            yield activity, False


def agent_keys(agent: dict[str, Any]) -> Iterator[str]:
    key = agent_ifi(agent)
    if key:
        yield key
    for member in agent.get("member", []) if agent.get("objectType") == "Group" else []:
        member_key = agent_ifi(member)
        if member_key:
            yield member_key


def normalise(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement as the LRS keeps it: contextActivities as arrays."""
    result = copy.deepcopy(statement)
    for holder in (result, result["object"]):
        context = holder.get("context") if isinstance(holder, dict) else None
        if isinstance(context, dict) and "contextActivities" in context:
            for key, value in context["contextActivities"].items():
                if not isinstance(value, list):
                    context["contextActivities"][key] = [value]
    return result


def same_statement(existing: dict[str, Any], incoming: dict[str, Any]) -> bool:
    ignored = {"id", "authority", "stored", "version"}
    if "timestamp" not in incoming:
        ignored.add("timestamp")
    left = comparable(existing, ignored)
    right = comparable(normalise(incoming), ignored)
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def statement_attachments(statement: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(statement.get("attachments", []))
    target = statement["object"]
    if target.get("objectType") == "SubStatement":
        found += target.get("attachments", [])
    return found


def check_parts(statements: list[dict[str, Any]], parts: list[Part]) -> dict[str, Part]:
    """Match multipart parts to the attachments that name them; all or nothing."""
    by_hash: dict[str, Part] = {}
    for part in parts:
        digest = part.headers.get("x-experience-api-hash")
        if not digest:
            raise XapiError("Each attachment part needs an X-Experience-API-Hash header.")
        if part.headers.get("content-transfer-encoding", "").lower() != "binary":
            raise XapiError("Each attachment part needs Content-Transfer-Encoding: binary.")
        by_hash[digest] = part
    wanted: set[str] = set()
    for statement in statements:
        for attachment in statement_attachments(statement):
            sha2 = attachment["sha2"]
            if sha2 in by_hash:
                wanted.add(sha2)
            elif "fileUrl" not in attachment:
                raise XapiError(f"Attachment {sha2} has no fileUrl and no part with its content.")
            if attachment["usageType"] == SIGNATURE_USAGE:
                if attachment["contentType"] != "application/octet-stream":
                    raise XapiError(
                        "A signature attachment's contentType is application/octet-stream."
                    )
                if sha2 not in by_hash:
                    raise XapiError("A signature attachment must be sent with the statement.")
                check_signature(by_hash[sha2].content, statement)
    extra = set(by_hash) - wanted
    if extra:
        raise XapiError("A multipart part matches no attachment of the statements.")
    return by_hash


def prepare(
    raw: dict[str, Any], *, client: LrsClient, stored: datetime, rules: Rules
) -> dict[str, Any]:
    data = normalise(raw)
    data.setdefault("id", str(uuid.uuid4()))
    data["id"] = data["id"].lower()
    data["stored"] = stored.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    data.setdefault("timestamp", data["stored"])
    data["authority"] = client.authority()
    data.setdefault("version", "2.0.0" if rules.v2 else "1.0.0")
    return data


def statements_store(
    *, client: LrsClient, statements: list[Any], parts: list[Part], rules: Rules
) -> list[str]:
    """Validate and store a batch of statements with their attachments, all or nothing.

    A statement whose id is stored already is skipped when it is the same statement and
    refused (409) when it differs; voiding marks its target voided unless the target is a
    voiding statement itself.
    """
    for index, statement in enumerate(statements):
        check_statement(
            statement, rules, path=f"statement[{index}]" if len(statements) > 1 else "statement"
        )
    check_storable(statements)
    ids = [s["id"].lower() for s in statements if "id" in s]
    if len(ids) != len(set(ids)):
        raise XapiError("A batch may not carry the same statement id twice.")
    by_hash = check_parts(statements, parts)
    now = timezone.now()
    prepared = [prepare(s, client=client, stored=now, rules=rules) for s in statements]
    with transaction.atomic():
        existing = {
            str(row.statement_id): row.data
            for row in Statement.objects.filter(statement_id__in=[p["id"] for p in prepared])
        }
        new = []
        for raw, data in zip(statements, prepared, strict=True):
            if data["id"] in existing:
                if not same_statement(existing[data["id"]], raw):
                    raise XapiError(f"Statement {data['id']} exists with other content.", 409)
                continue
            new.append(data)
        for data in new:
            store_one(data, client=client)
        for sha2, part in by_hash.items():
            Attachment.objects.get_or_create(
                sha2=sha2, defaults={"content_type": part.content_type, "content": part.content}
            )
        for data in new:
            if data["verb"]["id"] == VOIDED_VERB:
                void_target(data["object"]["id"])
    return [p["id"] for p in prepared]


def store_one(data: dict[str, Any], *, client: LrsClient) -> None:
    target = data["object"]
    context = data.get("context", {})
    actor = data["actor"]
    try:
        with transaction.atomic():
            row = Statement.objects.create(
                statement_id=data["id"],
                client=client,
                data=data,
                stored=datetime.fromisoformat(data["stored"].replace("Z", "+00:00")),
                verb_id=data["verb"]["id"],
                registration=context.get("registration"),
                ref_target=target["id"] if target.get("objectType") == "StatementRef" else None,
                actor_ifi=agent_ifi(actor) if actor.get("objectType") != "Group" else "",
            )
    except IntegrityError as error:
        raise XapiError(f"Statement {data['id']} was stored meanwhile.", 409) from error
    agents = {(key, direct) for agent, direct in iter_agents(data) for key in agent_keys(agent)}
    directs = {key for key, direct in agents if direct}
    StatementAgent.objects.bulk_create(
        StatementAgent(statement=row, ifi=key, direct=True) for key in directs
    )
    StatementAgent.objects.bulk_create(
        StatementAgent(statement=row, ifi=key, direct=False)
        for key in {key for key, direct in agents if not direct} - directs
    )
    activities: dict[str, bool] = {}
    for activity, direct in iter_activities(data):
        activities[activity["id"]] = activities.get(activity["id"], False) or direct
        if "definition" in activity:
            activity_define(activity_id=activity["id"], definition=activity["definition"])
        else:
            Activity.objects.get_or_create(activity_id=activity["id"])
    StatementActivity.objects.bulk_create(
        StatementActivity(statement=row, activity_id=key, direct=direct)
        for key, direct in activities.items()
    )


def void_target(target_id: str) -> None:
    Statement.objects.filter(statement_id=target_id).exclude(verb_id=VOIDED_VERB).update(
        voided=True
    )


def activity_define(*, activity_id: str, definition: dict[str, Any]) -> None:
    """Merge a definition into the canonical one: language maps gain languages."""
    activity, _ = Activity.objects.get_or_create(activity_id=activity_id)
    merged = dict(activity.definition)
    for key, value in definition.items():
        if key in ("name", "description") and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    if merged != activity.definition:
        activity.definition = merged
        activity.save(update_fields=["definition"])


# --- documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentKey:
    client: LrsClient
    kind: str
    activity_id: str = ""
    agent_ifi: str = ""
    registration: str = ""

    def filter(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "kind": self.kind,
            "activity_id": self.activity_id,
            "agent_ifi": self.agent_ifi,
            "registration": self.registration,
        }


def is_json_object(content: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def document_write(
    *,
    key: DocumentKey,
    document_id: str,
    content: bytes,
    content_type: str,
    merge: bool,
    if_match: str | None,
    if_none_match: str | None,
    precondition: str,
) -> Document:
    """Store a document (PUT replaces, POST merges JSON objects), honouring ETags."""
    with transaction.atomic():
        current = (
            Document.objects.select_for_update()
            .filter(**key.filter(), document_id=document_id)
            .first()
        )
        check_preconditions(current, if_match, if_none_match, precondition)
        if merge and current is not None:
            old = is_json_object(bytes(current.content))
            new = is_json_object(content)
            if (
                old is None
                or new is None
                or not current.content_type.startswith("application/json")
            ):
                raise XapiError("POST merges JSON objects only; use PUT to replace.")
            content = json.dumps({**old, **new}).encode("utf-8")
            content_type = "application/json"
        elif merge and is_json_object(content) is None:
            raise XapiError("POST merges JSON objects only; use PUT to replace.")
        if current is None:
            current = Document(**key.filter(), document_id=document_id)
        current.content = content
        current.content_type = content_type or "application/octet-stream"
        current.etag = Document.etag_of(content)
        current.updated = timezone.now()
        current.save()
        return current


def check_preconditions(
    current: Document | None,
    if_match: str | None,
    if_none_match: str | None,
    precondition: str,
) -> None:
    if if_match is not None:
        tags = {tag.strip().strip('"') for tag in if_match.split(",")}
        if current is None or ("*" not in tags and current.etag not in tags):
            raise XapiError("The document changed since it was read (If-Match).", 412)
    if if_none_match is not None:
        tags = {tag.strip().strip('"') for tag in if_none_match.split(",")}
        if current is not None and ("*" in tags or current.etag in tags):
            raise XapiError("The document exists already (If-None-Match).", 412)
    if precondition != "none" and if_match is None and if_none_match is None:
        if current is not None:
            raise XapiError("Send If-Match or If-None-Match to change an existing document.", 409)
        if precondition == "always":
            raise XapiError("Send If-None-Match: * (or If-Match) with a profile PUT.")


def documents_delete(
    *, key: DocumentKey, document_id: str | None, if_match: str | None, require_precondition: bool
) -> None:
    with transaction.atomic():
        documents = Document.objects.select_for_update().filter(**key.filter())
        if document_id is not None:
            documents = documents.filter(document_id=document_id)
            current = documents.first()
            if if_match is not None:
                check_preconditions(current, if_match, None, "none")
            elif require_precondition and current is not None:
                raise XapiError("Send If-Match to delete an existing document.", 409)
        documents.delete()

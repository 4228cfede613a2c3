"""Storing statements: validation, attachments, voiding, the rows the filters use."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from xapi.models import (
    Activity,
    Attachment,
    LrsClient,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
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
    person_key,
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


# A SHA-2 digest's hex length names its function.
SHA2_BY_LENGTH = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}


def check_digest(digest: str, content: bytes) -> None:
    """The part's content must be what its hash says: content is stored once per hash and
    served for every statement naming that hash, so a part under another content's hash
    would replace that content for everyone."""
    name = SHA2_BY_LENGTH.get(len(digest))
    if name is None or not all(c in "0123456789abcdefABCDEF" for c in digest):
        raise XapiError(f"X-Experience-API-Hash {digest[:20]}… is not a SHA-2 hex digest.")
    if hashlib.new(name, content).hexdigest() != digest.lower():
        raise XapiError(f"The attachment part's content does not match its hash {digest}.")


def check_parts(statements: list[dict[str, Any]], parts: list[Part]) -> dict[str, Part]:
    """Match multipart parts to the attachments that name them; all or nothing."""
    by_hash: dict[str, Part] = {}
    for part in parts:
        digest = part.headers.get("x-experience-api-hash")
        if not digest:
            raise XapiError("Each attachment part needs an X-Experience-API-Hash header.")
        if part.headers.get("content-transfer-encoding", "").lower() != "binary":
            raise XapiError("Each attachment part needs Content-Transfer-Encoding: binary.")
        if len(digest) > 128 or len(part.content_type) > 255:
            raise XapiError("An attachment part's hash or content type is too long.")
        check_digest(digest, part.content)
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
        if new:
            statements_insert(new, client=client)
        for sha2, part in by_hash.items():
            Attachment.objects.get_or_create(
                sha2=sha2, defaults={"content_type": part.content_type, "content": part.content}
            )
        for data in new:
            if data["verb"]["id"] == VOIDED_VERB:
                void_target(data["object"]["id"], client=client)
    return [p["id"] for p in prepared]


def statements_insert(new: list[dict[str, Any]], *, client: LrsClient) -> None:
    """Insert a batch's new statements with the rows their filters use, a few queries a batch."""
    rows = []
    for data in new:
        target, actor = data["object"], data["actor"]
        rows.append(
            Statement(
                statement_id=data["id"],
                client=client,
                data=data,
                stored=datetime.fromisoformat(data["stored"].replace("Z", "+00:00")),
                verb_id=data["verb"]["id"],
                registration=data.get("context", {}).get("registration"),
                ref_target=target["id"] if target.get("objectType") == "StatementRef" else None,
                actor_ifi=person_key(actor) if actor.get("objectType") != "Group" else "",
            )
        )
    try:
        with transaction.atomic():
            created = Statement.objects.bulk_create(rows)
    except IntegrityError as error:
        raise XapiError("A statement of the batch was stored meanwhile.", 409) from error
    agent_rows, activity_rows = [], []
    attachment_rows = [
        StatementAttachment(statement=row, sha2=sha2)
        for row in created
        for sha2 in {attachment["sha2"] for attachment in statement_attachments(row.data)}
    ]
    definitions: dict[str, list[dict[str, Any]]] = {}
    for row in created:
        agents = {(key, d) for agent, d in iter_agents(row.data) for key in agent_keys(agent)}
        directs = {key for key, direct in agents if direct}
        related = {key for key, direct in agents if not direct} - directs
        agent_rows += [StatementAgent(statement=row, ifi=key, direct=True) for key in directs]
        agent_rows += [StatementAgent(statement=row, ifi=key, direct=False) for key in related]
        activities: dict[str, bool] = {}
        for activity, direct in iter_activities(row.data):
            activities[activity["id"]] = activities.get(activity["id"], False) or direct
            found = definitions.setdefault(activity["id"], [])
            if "definition" in activity:
                found.append(activity["definition"])
        activity_rows += [
            StatementActivity(statement=row, activity_id=key, direct=direct)
            for key, direct in activities.items()
        ]
    StatementAgent.objects.bulk_create(agent_rows)
    StatementActivity.objects.bulk_create(activity_rows)
    if attachment_rows:
        StatementAttachment.objects.bulk_create(attachment_rows)
    activities_define(definitions)


def void_target(target_id: str, *, client: LrsClient) -> None:
    """Mark the target voided, if this client may read it: a client cannot void (hide from
    queries and from the learner) another client's statement it cannot see. The voiding
    statement is stored either way, as xAPI asks when the target is unknown."""
    targets = Statement.objects.filter(statement_id=target_id).exclude(verb_id=VOIDED_VERB)
    if not client.reads_all:
        targets = targets.filter(client=client)
    targets.update(voided=True)


def merge_definition(merged: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    """The canonical definition after one more: language maps gain languages."""
    merged = dict(merged)
    for key, value in definition.items():
        if key in ("name", "description") and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def activities_define(definitions: dict[str, list[dict[str, Any]]]) -> None:
    """Record each activity seen, merging the definitions statements gave it."""
    if not definitions:
        return
    existing = Activity.objects.in_bulk(list(definitions), field_name="activity_id")
    new: list[Activity] = []
    changed: list[Activity] = []
    for activity_id, given in definitions.items():
        activity = existing.get(activity_id) or Activity(activity_id=activity_id, definition={})
        merged = activity.definition
        for definition in given:
            merged = merge_definition(merged, definition)
        if activity.pk is None:
            activity.definition = merged
            new.append(activity)
        elif merged != activity.definition:
            activity.definition = merged
            changed.append(activity)
    # A concurrent batch may record the same new activity; its definition then stands.
    Activity.objects.bulk_create(new, ignore_conflicts=True)
    Activity.objects.bulk_update(changed, ["definition"])

"""State, agent profile and activity profile documents, with their ETags."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from xapi.models import Document, LrsClient
from xapi.validation import XapiError


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
    except (UnicodeDecodeError, ValueError, RecursionError):
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

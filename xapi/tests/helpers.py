"""An xAPI client for tests: Basic credentials of a real LrsClient, JSON in and out."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.test import Client

from xapi.services.clients import Credentials, lrs_client_create

VERB = "http://adlnet.gov/expapi/verbs/completed"
ACTIVITY = "http://example.org/activities/suturing-station"


def statement(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "actor": {"objectType": "Agent", "mbox": "mailto:ana@example.org", "name": "Ana"},
        "verb": {"id": VERB, "display": {"en-US": "completed"}},
        "object": {"id": ACTIVITY, "definition": {"name": {"en-US": "Suturing station"}}},
    }
    data.update(overrides)
    return data


@dataclass
class Lrs:
    client: Client
    credentials: Credentials
    version: str = "1.0.3"

    def headers(self, **extra: str) -> dict[str, str]:
        token = base64.b64encode(
            f"{self.credentials.key}:{self.credentials.secret}".encode()
        ).decode()
        return {
            "HTTP_AUTHORIZATION": f"Basic {token}",
            "HTTP_X_EXPERIENCE_API_VERSION": self.version,
            **extra,
        }

    def get(self, path: str, params: dict[str, str] | None = None, **extra: str) -> Any:
        return self.client.get(f"/xapi/{path}", params or {}, **self.headers(**extra))

    def post(self, path: str, body: Any, content_type: str = "application/json") -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.generic(
            "POST", f"/xapi/{path}", data, content_type=content_type, **self.headers()
        )

    def put(self, path: str, body: Any, **extra: str) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.generic(
            "PUT", f"/xapi/{path}", data, content_type="application/json", **self.headers(**extra)
        )

    def store_with_attachments(self, data: dict[str, Any], *contents: bytes) -> str:
        """Store one statement carrying each of `contents` as a multipart attachment."""
        response = self.post("statements", *with_attachments(data, *contents))
        assert response.status_code == 200, response.content
        [statement_id] = response.json()
        return str(statement_id)

    def store(self, *statements: dict[str, Any]) -> list[str]:
        response = self.post("statements", list(statements))
        assert response.status_code == 200, response.content
        return list(response.json())


def new_lrs(name: str = "Simulation centre", **options: Any) -> Lrs:
    return Lrs(client=Client(), credentials=lrs_client_create(name=name, **options))


def new_id() -> str:
    return str(uuid.uuid4())


def with_attachments(data: dict[str, Any], *contents: bytes) -> tuple[bytes, str]:
    """A multipart/mixed body (boundary zz): the statement naming each content, then the parts."""
    hashes = [hashlib.sha256(content).hexdigest() for content in contents]
    described = {
        **data,
        "attachments": [
            {
                "usageType": "http://example.org/usage/trace",
                "display": {"en-US": "Trace"},
                "contentType": "application/octet-stream",
                "length": len(content),
                "sha2": sha2,
            }
            for content, sha2 in zip(contents, hashes, strict=True)
        ],
    }
    body = b"--zz\r\nContent-Type: application/json\r\n\r\n" + json.dumps(described).encode()
    for content, sha2 in dict(zip(contents, hashes, strict=True)).items():
        body += (
            b"\r\n--zz\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: "
            + sha2.encode()
            + b"\r\n\r\n"
            + content
        )
    return body + b"\r\n--zz--", 'multipart/mixed; boundary="zz"'

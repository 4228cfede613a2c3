"""multipart/mixed bodies, split byte for byte (attachments are checked by SHA-256)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from xapi.validation import XapiError

BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)


@dataclass
class Part:
    headers: dict[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def split_multipart(content_type_header: str, body: bytes) -> list[Part]:
    match = BOUNDARY.search(content_type_header)
    if not match:
        raise XapiError("multipart/mixed needs a boundary.")
    boundary = ("--" + (match.group(1) or match.group(2))).encode()
    chunks = body.split(boundary)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise XapiError("The multipart body is not closed by its boundary.")
    parts = []
    for chunk in chunks[1:-1]:
        if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
            raise XapiError("A multipart part is not framed by CRLF.")
        chunk = chunk[2:-2]
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            if chunk.endswith(b"\r\n") or chunk == b"":
                head, content = chunk, b""
            else:
                raise XapiError("A multipart part has no blank line after its headers.")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            if not line:
                continue
            name, colon, value = line.partition(":")
            if not colon:
                raise XapiError("A multipart part has a malformed header.")
            headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers=headers, content=content))
    return parts


def build_multipart(parts: list[tuple[dict[str, str], bytes]], boundary: str) -> bytes:
    out = bytearray()
    for headers, content in parts:
        out += f"--{boundary}\r\n".encode()
        for name, value in headers.items():
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    out += f"--{boundary}--".encode()
    return bytes(out)

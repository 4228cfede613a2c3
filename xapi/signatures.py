"""Signed statements (JWS compact serialisation): the checks xAPI makes before storing one."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from xapi.validation import XapiError

ALGORITHMS = {"RS256", "RS384", "RS512"}
# Properties the LRS adds or may change; the signer never saw them.
UNSIGNED = frozenset({"authority", "stored", "version", "attachments", "id", "timestamp"})


def b64url_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as error:
        raise XapiError("The signature is not a JWS (bad base64url).") from error


SECONDS = re.compile(r"(\d+)(?:\.(\d+))?S$")


def truncate_duration(duration: Any) -> Any:
    """A duration with its seconds cut to hundredths: finer precision is not compared."""
    if not isinstance(duration, str):
        return duration
    match = SECONDS.search(duration)
    if not match:
        return duration
    hundredths = (match.group(2) or "").ljust(2, "0")[:2]
    return f"{duration[: match.start()]}{int(match.group(1))}.{hundredths}S"


def comparable(
    statement: dict[str, Any], ignored: set[str] | frozenset[str] = UNSIGNED
) -> dict[str, Any]:
    """The statement's properties but `ignored`, durations truncated as xAPI 2.0 compares."""
    result = {key: value for key, value in statement.items() if key not in ignored}
    for holder in (result, result.get("object")):
        if isinstance(holder, dict) and isinstance(holder.get("result"), dict):
            outcome = holder["result"]
            if "duration" in outcome:
                holder["result"] = {**outcome, "duration": truncate_duration(outcome["duration"])}
    return result


def check_signature(jws: bytes, statement: dict[str, Any]) -> None:
    """Refuse a signature that is not a JWS of this statement with an RSA algorithm."""
    try:
        text = jws.decode("ascii").strip()
    except UnicodeDecodeError as error:
        raise XapiError("The signature is not a JWS.") from error
    pieces = text.split(".")
    if len(pieces) != 3 or not all(pieces):
        raise XapiError("The signature is not a JWS in compact serialisation.")
    try:
        header = json.loads(b64url_decode(pieces[0]))
        payload = json.loads(b64url_decode(pieces[1]))
    except (ValueError, RecursionError) as error:
        raise XapiError("The signature's header or payload is not JSON.") from error
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        raise XapiError("The signature must use RS256, RS384 or RS512.")
    if not isinstance(payload, dict):
        raise XapiError("The signature's payload is not a statement.")
    if comparable(payload) != comparable(statement):
        raise XapiError("The signature's payload does not match the statement.")
    for key in ("id", "timestamp"):
        if key in payload and key in statement and payload[key] != statement[key]:
            raise XapiError(f"The signature's payload has a different {key}.")

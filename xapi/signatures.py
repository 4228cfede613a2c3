"""Signed statements (JWS compact serialisation): the checks xAPI makes before storing one.

The signature is verified with the public key of the first certificate of the header's `x5c`
chain (each certificate of the chain must be issued by the next). A JWS without `x5c` names no
key the LRS could check it with: its form, algorithm and payload are checked, and it is stored
as the client sent it (xAPI asks for verification against the certificate when there is one).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xapi.validation import XapiError

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}
ALGORITHMS = frozenset(HASHES)
# A chain longer than this is no signer's certificate chain.
MAX_CHAIN = 10
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
        if key in payload and key in statement and not same_value(key, payload, statement):
            raise XapiError(f"The signature's payload has a different {key}.")
    signature = b64url_decode(pieces[2])
    public_key = signing_key(header)
    if public_key is not None:
        verify(public_key, header["alg"], f"{pieces[0]}.{pieces[1]}".encode("ascii"), signature)


def same_value(key: str, payload: dict[str, Any], statement: dict[str, Any]) -> bool:
    """Ids compare without case (a UUID's hex digits may be either); timestamps exactly."""
    left, right = payload[key], statement[key]
    if key == "id" and isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return bool(left == right)


def signing_key(header: dict[str, Any]) -> rsa.RSAPublicKey | None:
    """The RSA key of the `x5c` chain's first (signer's) certificate, or None without `x5c`.

    Each certificate must be issued (signed) by the one after it; the chain's root is not
    checked against a trust store: the LRS records who signed, it does not vouch for them.
    """
    chain = header.get("x5c")
    if chain is None:
        return None
    if (
        not isinstance(chain, list)
        or not chain
        or len(chain) > MAX_CHAIN
        or not all(isinstance(item, str) for item in chain)
    ):
        raise XapiError("The signature's x5c header must be a list of base64 DER certificates.")
    certificates = []
    for index, item in enumerate(chain):
        try:
            certificates.append(
                x509.load_der_x509_certificate(base64.b64decode(item, validate=True))
            )
        except (binascii.Error, ValueError) as error:
            raise XapiError(f"The signature's x5c[{index}] is not a DER certificate.") from error
    for index, (certificate, issuer) in enumerate(itertools.pairwise(certificates)):
        try:
            certificate.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as error:
            raise XapiError(
                f"The signature's x5c[{index}] is not issued by x5c[{index + 1}]."
            ) from error
    key = certificates[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise XapiError("The signature's x5c certificate must hold an RSA key for RS256/384/512.")
    return key


def verify(key: rsa.RSAPublicKey, algorithm: str, signed: bytes, signature: bytes) -> None:
    try:
        key.verify(signature, signed, padding.PKCS1v15(), HASHES[algorithm]())
    except InvalidSignature as error:
        raise XapiError(
            f"The statement's {algorithm} signature does not verify with the key of its "
            "x5c certificate: the statement or its signature was changed after signing."
        ) from error

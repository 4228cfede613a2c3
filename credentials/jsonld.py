"""JSON-LD with local contexts only, and the `eddsa-rdfc-2022` Data Integrity proof.

Every context a credential names is one of the vendored files in `contexts/` (SOURCES.md);
any other URL is refused, so signing and verifying never reach the network. Canonicalization
is pyld's RDFC-1.0 (URDNA2015); the proof follows the cryptosuite: SHA-256 of the canonical
proof options, then of the canonical document, signed with Ed25519."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"
# URL -> vendored file; the independent verifier (tests/credentials_verifier/) reads it too.
LOCAL_CONTEXTS: dict[str, str] = json.loads((CONTEXTS_DIR / "contexts.json").read_text())
ED25519_PUB_PREFIX = b"\xed\x01"  # multicodec ed25519-pub, as a varint


class ContextNotLocalError(Exception):
    """A document names a context that is not vendored here."""


@cache
def _context(url: str) -> dict[str, Any]:
    return json.loads((CONTEXTS_DIR / LOCAL_CONTEXTS[url]).read_text())  # type: ignore[no-any-return]


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's loader: the vendored contexts, and nothing else."""
    if url not in LOCAL_CONTEXTS:
        raise ContextNotLocalError(f"The context {url} is not one this server holds.")
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": copy.deepcopy(_context(url)),
        "contentType": "application/ld+json",
    }


def canonize(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (unknown terms are an error, as the
    cryptosuite's `safe` mode requires)."""
    return str(
        jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
                "safe": True,
            },
        )
    )


def multibase_public(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes_raw()
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + raw).decode()


def public_from_multibase(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise ValueError("The public key is not base58btc multibase.")
    raw = base58.b58decode(value[1:])
    if raw[:2] != ED25519_PUB_PREFIX or len(raw) != 34:
        raise ValueError("The public key is not an Ed25519 multikey.")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    config["@context"] = unsigned["@context"]
    return (
        hashlib.sha256(canonize(config).encode()).digest()
        + hashlib.sha256(canonize(unsigned).encode()).digest()
    )


def proof_add(
    document: dict[str, Any], *, key: Ed25519PrivateKey, verification_method: str, created: str
) -> dict[str, Any]:
    """The document with an `eddsa-rdfc-2022` proof for assertion."""
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, proof))
    proof["proofValue"] = "z" + base58.b58encode(signature).decode()
    return {**document, "proof": proof}


def proof_verify(document: dict[str, Any], *, public: Ed25519PublicKey) -> bool:
    """Whether the document's single proof is a valid `eddsa-rdfc-2022` signature by `public`."""
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("cryptosuite") != "eddsa-rdfc-2022":
        return False
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        public.verify(base58.b58decode(value[1:]), _hash_data(document, proof))
    except (InvalidSignature, ValueError):
        return False
    return True

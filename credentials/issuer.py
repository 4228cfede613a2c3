"""The institution as an issuer: its `did:web` identifier and the URLs a verifier resolves.

`CREDENTIALS_HOST` is the deployment's public host (a port written `%3A`, as did:web
spells it). `did:web:<host>:credentials:issuers:<slug>` resolves to
`https://<host>/credentials/issuers/<slug>/did.json`, which this app serves."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from django.conf import settings

from credentials.jsonld import DID_V1, MULTIKEY_V1, VC_V2
from credentials.models import STATUS_LIST_BITS, IssuerKey
from programs.models import Institution


def host() -> str:
    return str(settings.CREDENTIALS_HOST)


def origin() -> str:
    return f"https://{unquote(host())}"


def issuer_did(institution: Institution) -> str:
    return f"did:web:{host()}:credentials:issuers:{institution.slug}"


def verification_method_id(key: IssuerKey, institution: Institution) -> str:
    return f"{issuer_did(institution)}#{key.key_id}"


def status_list_url(institution: Institution) -> str:
    return f"{origin()}/credentials/status/{institution.slug}/"


def slug_of_did(did: str) -> str | None:
    """The institution slug of one of this deployment's issuer DIDs, else None."""
    prefix = f"did:web:{host()}:credentials:issuers:"
    rest = did.split("#", 1)[0]
    if not rest.startswith(prefix):
        return None
    slug = rest[len(prefix) :]
    return slug if slug and ":" not in slug else None


def controller_document(institution: Institution, keys: Iterable[IssuerKey]) -> dict[str, Any]:
    """The DID document with every key the institution ever had: a verifier checks a proof
    against today's assertion methods, so a retired key stays listed to keep what it signed
    verifiable (revocation, not key removal, is how a credential is withdrawn)."""
    did = issuer_did(institution)
    methods = [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_multibase,
        }
        for key in keys
    ]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def encoded_list(revoked_indexes: Iterable[int]) -> str:
    """The Bitstring Status List's `encodedList`: index 0 is the first byte's highest bit,
    gzip-compressed, then multibase base64url without padding."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for index in revoked_indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=")
    return "u" + packed.decode()


def status_list_credential(
    institution: Institution, revoked_indexes: Iterable[int], valid_from: str
) -> dict[str, Any]:
    """The unsigned status list credential of the institution (revocation purpose)."""
    url = status_list_url(institution)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(institution),
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list(revoked_indexes),
        },
    }

"""Signed statements: the JWS is verified with the key of its x5c certificate.

Keys and certificates are made here with `cryptography`; the JWS is built by hand (RFC 7515
compact serialisation) so the test does not share code with the verifier.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from xapi.models import Attachment, Statement
from xapi.tests.helpers import Lrs, new_id, new_lrs, statement

pytestmark = pytest.mark.django_db

SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"
HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(
    subject_key: Any, name: str, issuer_key: Any = None, issuer_name: str | None = None
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or name)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(issuer_key or subject_key, hashes.SHA256())
    )


def der_b64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jws(
    payload: dict[str, Any],
    key: rsa.RSAPrivateKey,
    alg: str = "RS256",
    chain: list[x509.Certificate] | None = None,
) -> bytes:
    header: dict[str, Any] = {"alg": alg}
    if chain is not None:
        header["x5c"] = [der_b64(cert) for cert in chain]
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), HASHES[alg])
    return f"{signing_input}.{b64url(signature)}".encode()


def post_signed(lrs: Lrs, data: dict[str, Any], signature: bytes) -> Any:
    sha2 = hashlib.sha256(signature).hexdigest()
    sent = {
        **data,
        "attachments": [
            {
                "usageType": SIGNATURE,
                "display": {"en-US": "Signature"},
                "contentType": "application/octet-stream",
                "length": len(signature),
                "sha2": sha2,
            }
        ],
    }
    body = (
        b"--sig\r\nContent-Type: application/json\r\n\r\n"
        + json.dumps(sent).encode()
        + b"\r\n--sig\r\nContent-Type: application/octet-stream\r\n"
        + b"Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: "
        + sha2.encode()
        + b"\r\n\r\n"
        + signature
        + b"\r\n--sig--"
    )
    return lrs.post("statements", body, 'multipart/mixed; boundary="sig"')


def assert_refused(response: Any, words: str) -> None:
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert not Statement.objects.exists()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_a_statement_signed_with_its_certificates_key_is_stored(alg):
    key = rsa_key()
    data = statement(id=new_id())

    response = post_signed(new_lrs(), data, jws(data, key, alg, [certificate(key, "Sim centre")]))

    assert response.status_code == 200, response.content
    assert Statement.objects.get().data["attachments"][0]["usageType"] == SIGNATURE


def test_a_signature_made_with_another_key_than_the_certificates_is_refused():
    signer, impostor = rsa_key(), rsa_key()
    data = statement(id=new_id())

    response = post_signed(new_lrs(), data, jws(data, impostor, chain=[certificate(signer, "A")]))

    assert_refused(response, "does not verify with the key of its x5c certificate")


def test_a_signature_whose_bytes_were_changed_is_refused():
    key = rsa_key()
    data = statement(id=new_id())
    head, payload, signature = jws(data, key, chain=[certificate(key, "A")]).split(b".")
    raw = bytearray(base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4)))
    raw[10] ^= 0xFF
    tampered = b".".join([head, payload, b64url(bytes(raw)).encode()])

    assert_refused(post_signed(new_lrs(), data, tampered), "does not verify")


def test_a_signed_header_changed_after_signing_is_refused():
    """The header is part of what is signed: swapping its algorithm breaks the signature."""
    key = rsa_key()
    data = statement(id=new_id())
    _, payload, signature = jws(data, key, "RS256", [certificate(key, "A")]).split(b".")
    header = {"alg": "RS512", "x5c": [der_b64(certificate(key, "A"))]}
    swapped = b".".join([b64url(json.dumps(header).encode()).encode(), payload, signature])

    assert_refused(post_signed(new_lrs(), data, swapped), "RS512 signature does not verify")


def test_a_chain_whose_leaf_is_signed_by_its_issuer_is_accepted_and_a_broken_one_refused():
    root, other_root, leaf = rsa_key(), rsa_key(), rsa_key()
    root_cert = certificate(root, "Root CA")
    leaf_cert = certificate(leaf, "Signer", issuer_key=root, issuer_name="Root CA")
    data = statement(id=new_id())
    lrs = new_lrs()

    good = post_signed(lrs, data, jws(data, leaf, chain=[leaf_cert, root_cert]))
    Statement.objects.all().delete()
    Attachment.objects.all().delete()
    other = statement(id=new_id())
    broken = post_signed(
        lrs, other, jws(other, leaf, chain=[leaf_cert, certificate(other_root, "Root CA")])
    )

    assert good.status_code == 200, good.content
    assert_refused(broken, "x5c[0] is not issued by x5c[1]")


def test_an_x5c_that_is_not_a_certificate_is_refused():
    key = rsa_key()
    data = statement(id=new_id())
    header = {"alg": "RS256", "x5c": [base64.b64encode(b"not a certificate").decode()]}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(data).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())

    response = post_signed(new_lrs(), data, f"{signing_input}.{b64url(signature)}".encode())

    assert_refused(response, "x5c[0] is not a DER certificate")


def test_a_certificate_with_a_key_that_is_not_rsa_is_refused():
    signer = rsa_key()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    data = statement(id=new_id())

    response = post_signed(new_lrs(), data, jws(data, signer, chain=[certificate(ec_key, "EC")]))

    assert_refused(response, "must hold an RSA key")


def test_a_payload_that_differs_from_the_statement_is_refused_even_when_correctly_signed():
    key = rsa_key()
    data = statement(id=new_id())
    signed = {**data, "result": {"success": True}}

    response = post_signed(new_lrs(), data, jws(signed, key, chain=[certificate(key, "A")]))

    assert_refused(response, "payload does not match the statement")


def test_a_signature_without_x5c_names_no_key_and_is_stored_after_the_other_checks():
    key = rsa_key()
    data = statement(id=new_id())

    response = post_signed(new_lrs(), data, jws(data, key))

    assert response.status_code == 200, response.content

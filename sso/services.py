"""Writes for single sign-on: importing an identity provider's metadata, the service provider's
key pair, and admitting a person who signed in through an identity provider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import requests
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from sso.models import EmailDomain, IdentityProvider, UsedAssertion
from sso.selectors import email_domain

METADATA_MAX_BYTES = 2 * 1024 * 1024


def saml_metadata_parse(*, xml: str, entity_id: str = "") -> dict[str, str]:
    """The entity ID, endpoints and signing certificate of one IdP in SAML metadata."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id or None)
    except Exception as error:  # lxml and python3-saml raise many kinds for bad XML
        raise ValidationError(f"The metadata could not be read: {error}") from error
    idp = parsed.get("idp") or {}
    sso = (idp.get("singleSignOnService") or {}).get("url", "")
    if not idp.get("entityId") or not sso:
        raise ValidationError(
            "The metadata names no identity provider with a single sign-on endpoint."
        )
    cert = idp.get("x509cert") or ""
    if not cert:
        certs = (idp.get("x509certMulti") or {}).get("signing") or []
        cert = certs[0] if certs else ""
    if not cert:
        raise ValidationError("The metadata has no signing certificate for the IdP.")
    return {
        "entity_id": idp["entityId"],
        "sso_url": sso,
        "slo_url": (idp.get("singleLogoutService") or {}).get("url", ""),
        "x509cert": cert,
    }


def saml_metadata_fetch(*, url: str) -> str:
    """The metadata document at `url`, refused past a size limit."""
    try:
        response = requests.get(url, timeout=10, stream=True)
        response.raise_for_status()
        body = response.raw.read(METADATA_MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise ValidationError(f"The metadata URL could not be read: {error}") from error
    if len(body) > METADATA_MAX_BYTES:
        raise ValidationError("The metadata is larger than 2 MB.")
    return bytes(body).decode("utf-8", errors="replace")


@transaction.atomic
def identity_provider_metadata_import(
    *, provider: IdentityProvider, xml: str = "", url: str = ""
) -> IdentityProvider:
    """Read the IdP's metadata from a document or a URL and keep what sign-in needs."""
    if not xml and url:
        xml = saml_metadata_fetch(url=url)
    if not xml:
        raise ValidationError("Give the IdP metadata as a file or a URL.")
    provider.saml_idp = saml_metadata_parse(
        xml=xml, entity_id=provider.saml_idp.get("entity_id", "") if provider.saml_idp else ""
    )
    provider.saml_metadata_xml = xml
    if url:
        provider.saml_metadata_url = url
    sp_keypair_ensure(provider=provider)
    provider.save()
    return provider


def sp_keypair_ensure(*, provider: IdentityProvider) -> None:
    """Give the service provider a key pair (for signed requests and encrypted assertions)."""
    if provider.sp_certificate and provider.sp_private_key:
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"continuum-{provider.slug}")])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    provider.sp_certificate = cert.public_bytes(serialization.Encoding.PEM).decode()
    provider.sp_private_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class SignInRefused(Exception):
    """A sign-in through an identity provider that Continuum does not accept; says why."""


@dataclass(frozen=True)
class Admission:
    """What to do with an accepted sign-in: join `user`'s account, or create one."""

    user: User | None
    email_verified: bool
    mfa: bool


def _asserted_mfa(provider: IdentityProvider, values: list[str]) -> bool:
    return provider.enforces_mfa or bool(provider.mfa_value_set() & set(values))


def saml_assertion_use(
    *, provider: IdentityProvider, assertion_id: str, not_on_or_after: int | None
) -> None:
    """Record an assertion as used; a second use of its ID is refused as a replay."""
    if not assertion_id:
        raise SignInRefused("The identity provider's assertion has no ID.")
    now = timezone.now()
    expires = (
        dt.datetime.fromtimestamp(not_on_or_after, tz=dt.UTC)
        if not_on_or_after
        else now + dt.timedelta(hours=1)
    )
    UsedAssertion.objects.filter(expires_at__lt=now - dt.timedelta(minutes=5)).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(
                provider=provider, assertion_id=assertion_id, expires_at=expires
            )
    except IntegrityError:
        raise SignInRefused(
            "This sign-in response was already used. Start the sign-in again."
        ) from None


def sso_admit(
    *,
    provider: IdentityProvider,
    email: str,
    existing_user: User | None,
    mfa_values: list[str],
) -> Admission:
    """Decide whose account a sign-in through `provider` opens.

    An account already linked to this identity is simply opened. Otherwise the address must
    not belong to another institution's domain; it joins an existing account with the same
    address only when this provider is authoritative for the domain; and it never joins one
    silently otherwise.
    """
    mfa = _asserted_mfa(provider, mfa_values)
    if existing_user is not None:
        return Admission(user=existing_user, email_verified=True, mfa=mfa)
    email = email.strip().lower()
    if not email or "@" not in email:
        raise SignInRefused(
            f"{provider.name} did not send an email address, so no account can be opened."
        )
    domain: EmailDomain | None = email_domain(email)
    if domain is not None and domain.provider.institution_id != provider.institution_id:
        raise SignInRefused(
            f"{provider.name} may not sign in addresses at {domain.domain}: that domain "
            f"belongs to {domain.provider.institution.name}."
        )
    authoritative = domain is not None and domain.authoritative
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None and not authoritative:
        raise SignInRefused(
            f"An account with {email} already exists. Sign in to it with your password, then "
            f"connect {provider.name} from your account settings."
        )
    return Admission(user=owner, email_verified=authoritative, mfa=mfa)


def saml_session_values(extra: dict[str, Any]) -> dict[str, Any]:
    """What single logout needs later from an accepted SAML sign-in."""
    return {
        "name_id": extra.get("name_id"),
        "name_id_format": extra.get("name_id_format"),
        "session_index": extra.get("session_index"),
    }

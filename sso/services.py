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


# --- The audit log of SSO settings (docs/audit.md) ---------------------------------------

_PROVIDER_FIELDS = (
    "institution_id",
    "name",
    "slug",
    "protocol",
    "enabled",
    "enforces_mfa",
    "mfa_values",
    "saml_metadata_url",
    "saml_allow_idp_initiated",
    "saml_require_encryption",
    "saml_attributes",
    "oidc_issuer",
    "oidc_client_id",
)


def _fingerprint(pem_or_base64: str) -> str:
    """A certificate's SHA-256 over its text, short: tells a new key from the old one."""
    import hashlib

    text = "".join(line for line in pem_or_base64.split() if "-----" not in line)
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else ""


def identity_provider_settings(provider: IdentityProvider) -> dict[str, Any]:
    """The settings of an identity provider as the audit log keeps them: the fields, its
    domains, the IdP's entity ID and endpoints, certificates by fingerprint, and only whether
    a client secret is set (never a secret or a private key)."""
    values: dict[str, Any] = {field: getattr(provider, field) for field in _PROVIDER_FIELDS}
    idp = provider.saml_idp or {}
    values.update(
        {
            "idp_entity_id": idp.get("entity_id", ""),
            "idp_sso_url": idp.get("sso_url", ""),
            "idp_slo_url": idp.get("slo_url", ""),
            "idp_certificate": _fingerprint(idp.get("x509cert", "")),
            "sp_certificate": _fingerprint(provider.sp_certificate),
            "oidc_client_secret": "set" if provider.oidc_client_secret else "",
            "domains": sorted(
                f"{domain.domain}"
                + (" authoritative" if domain.authoritative else "")
                + (" sso-required" if domain.sso_required else "")
                for domain in EmailDomain.objects.filter(provider_id=provider.pk)
            )
            if provider.pk
            else [],
        }
    )
    return values


def identity_provider_audit(
    *,
    provider: IdentityProvider,
    before: dict[str, Any] | None,
    by: User | None,
    secret_changed: bool = False,
    deleted: bool = False,
) -> None:
    """Record a change of an identity provider's settings (made in the admin): what changed,
    before and after; a new service-provider key pair shows as a new `sp_certificate`."""
    from audit.services import audit_record

    if deleted:
        audit_record(
            actor=by,
            action="identity_provider.delete",
            target=provider,
            institution_id=provider.institution_id,
            before=before,
        )
        return
    after = identity_provider_settings(provider)
    if before is None:
        audit_record(
            actor=by,
            action="identity_provider.create",
            target=provider,
            institution_id=provider.institution_id,
            after=after,
        )
        return
    changed = sorted(key for key in after if after[key] != before.get(key))
    if secret_changed and "oidc_client_secret" not in changed:
        changed.append("oidc_client_secret")
        before = {**before, "oidc_client_secret": "set (old)"}
        after = {**after, "oidc_client_secret": "set (new)"}
    if not changed:
        return
    audit_record(
        actor=by,
        action="identity_provider.update",
        target=provider,
        institution_id=provider.institution_id,
        before={key: before.get(key) for key in changed},
        after={key: after[key] for key in changed},
    )

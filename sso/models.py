"""Single sign-on: each institution's identity providers (SAML 2.0 or OpenID Connect), the email
domains they answer for, and the SAML assertions already used (replay protection)."""

from __future__ import annotations

from typing import Any

from django.db import models

from programs.models import Institution

# Values an identity provider asserts when the person used more than one factor: REFEDS MFA
# and Microsoft's SAML context, and RFC 8176's `mfa` method reference for OpenID Connect.
DEFAULT_MFA_VALUES = (
    "https://refeds.org/profile/mfa "
    "http://schemas.microsoft.com/claims/multipleauthn "
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract "
    "mfa"
)

# SAML attribute names (the eduPerson / inetOrgPerson OIDs most institutions release) tried in
# order for each field.
SAML_ATTRIBUTES: dict[str, list[str]] = {
    "uid": [
        "urn:oasis:names:tc:SAML:attribute:subject-id",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",  # eduPersonPrincipalName
        "eduPersonPrincipalName",
    ],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "mail",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    ],
    "first_name": [
        "urn:oid:2.5.4.42",
        "givenName",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    ],
    "last_name": [
        "urn:oid:2.5.4.4",
        "sn",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    ],
    "name": ["urn:oid:2.16.840.1.113730.3.1.241", "displayName"],
}


def _default_attributes() -> dict[str, list[str]]:
    return {key: list(names) for key, names in SAML_ATTRIBUTES.items()}


class IdentityProvider(models.Model):
    """An institution's identity provider. Its slug names it in URLs and in linked accounts."""

    class Protocol(models.TextChoices):
        SAML = "saml", "SAML 2.0"
        OIDC = "openid_connect", "OpenID Connect"

    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="identity_providers"
    )
    name = models.CharField(max_length=120, help_text="Shown on the button: “Sign in with …”.")
    slug = models.SlugField(
        max_length=60, unique=True, help_text="Part of the sign-in and metadata URLs."
    )
    protocol = models.CharField(max_length=20, choices=Protocol.choices)
    enabled = models.BooleanField(default=True)
    enforces_mfa = models.BooleanField(
        default=False,
        help_text="The identity provider always requires a second factor, so staff who sign in "
        "through it count as using MFA even when it does not say so in the assertion.",
    )
    mfa_values = models.CharField(
        max_length=500,
        default=DEFAULT_MFA_VALUES,
        blank=True,
        help_text="Space-separated SAML AuthnContextClassRef, OIDC acr or amr values that mean "
        "the person used more than one factor.",
    )

    # SAML: the identity provider, as read from its metadata.
    saml_metadata_url = models.URLField(blank=True, help_text="Where the IdP publishes metadata.")
    saml_metadata_xml = models.TextField(blank=True, help_text="The IdP metadata as imported.")
    saml_idp = models.JSONField(
        default=dict, blank=True, help_text="Entity ID, endpoints and certificates from metadata."
    )
    saml_allow_idp_initiated = models.BooleanField(
        "accept IdP-initiated sign-in",
        default=True,
        help_text="Accept sign-ins started at the identity provider's portal (unsolicited "
        "responses); each assertion is still accepted only once.",
    )
    saml_require_encryption = models.BooleanField(
        "require encrypted assertions",
        default=False,
        help_text="Refuse assertions that are not encrypted to this service's certificate.",
    )
    saml_attributes = models.JSONField(
        default=_default_attributes,
        blank=True,
        help_text="For uid, email, first_name, last_name and name: the attribute names to try.",
    )
    # The service provider's own key pair: signs requests, decrypts encrypted assertions.
    sp_certificate = models.TextField(blank=True)
    sp_private_key = models.TextField(blank=True)

    # OpenID Connect
    oidc_issuer = models.URLField(blank=True, help_text="Issuer URL; discovery is read from it.")
    oidc_client_id = models.CharField(max_length=200, blank=True)
    oidc_client_secret = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_protocol_display()})"

    def mfa_value_set(self) -> set[str]:
        return set(self.mfa_values.split())

    def app_settings(self) -> dict[str, Any]:
        """The settings allauth's provider reads (SocialApp.settings)."""
        if self.protocol == self.Protocol.OIDC:
            return {
                "server_url": self.oidc_issuer,
                "oauth_pkce_enabled": True,
                "fetch_userinfo": True,
                "scope": ["openid", "profile", "email"],
            }
        return {
            "idp": {
                "entity_id": self.saml_idp.get("entity_id", ""),
                "sso_url": self.saml_idp.get("sso_url", ""),
                "slo_url": self.saml_idp.get("slo_url", ""),
                "x509cert": self.saml_idp.get("x509cert", ""),
            },
            "attribute_mapping": self.saml_attributes or _default_attributes(),
            "advanced": {
                "strict": True,
                "want_assertion_signed": True,
                "want_assertion_encrypted": self.saml_require_encryption,
                "x509cert": self.sp_certificate,
                "private_key": self.sp_private_key,
                "authn_request_signed": bool(self.sp_private_key),
                "logout_request_signed": bool(self.sp_private_key),
                "logout_response_signed": bool(self.sp_private_key),
                "reject_idp_initiated_sso": not self.saml_allow_idp_initiated,
                "want_attribute_statement": False,
            },
        }


class EmailDomain(models.Model):
    """An email domain an institution answers for, and what its identity provider may do."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, help_text="e.g. northbridge.edu")
    authoritative = models.BooleanField(
        default=False,
        help_text="The identity provider vouches for addresses in this domain: a sign-in "
        "through it joins the existing account with that address.",
    )
    sso_required = models.BooleanField(
        default=False,
        help_text="Addresses in this domain sign in only through the identity provider.",
    )

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class UsedAssertion(models.Model):
    """A SAML assertion already accepted; a second use of the same ID is a replay."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE)
    assertion_id = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "assertion_id"], name="uniq_used_assertion")
        ]

    def __str__(self) -> str:
        return self.assertion_id

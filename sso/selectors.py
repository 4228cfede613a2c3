"""Reads of single sign-on configuration. Nothing here is private to a person: which identity
providers exist and which domains they answer for is shown on the public sign-in page."""

from __future__ import annotations

from django.db.models import QuerySet

from sso.models import EmailDomain, IdentityProvider


def providers_enabled() -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.filter(enabled=True).select_related("institution")


def provider_by_slug(slug: str) -> IdentityProvider | None:
    return providers_enabled().filter(slug=slug).first()


def email_domain(email: str) -> EmailDomain | None:
    """The configured domain of an address, with its identity provider and institution."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    return EmailDomain.objects.select_related("provider__institution").filter(domain=domain).first()


def sso_required_for(email: str) -> IdentityProvider | None:
    """The identity provider an address must sign in through, if its institution says so."""
    found = email_domain(email)
    if found is not None and found.sso_required and found.provider.enabled:
        return found.provider
    return None

"""LRS clients' credentials: issued, rotated, revoked."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from xapi.models import LrsClient, hash_secret


@dataclass(frozen=True)
class Credentials:
    client: LrsClient
    key: str
    secret: str


def lrs_client_create(*, name: str, reads_all: bool = False) -> Credentials:
    """Issue a client; the secret is returned once and only its hash is kept."""
    secret = LrsClient.new_secret()
    client = LrsClient.objects.create(
        name=name, key=LrsClient.new_key(), secret_hash=hash_secret(secret), reads_all=reads_all
    )
    return Credentials(client=client, key=client.key, secret=secret)


def lrs_client_rotate(*, client: LrsClient) -> Credentials:
    """Replace a client's secret; the old one stops working at once."""
    secret = LrsClient.new_secret()
    client.secret_hash = hash_secret(secret)
    client.rotated_at = timezone.now()
    client.save(update_fields=["secret_hash", "rotated_at"])
    return Credentials(client=client, key=client.key, secret=secret)


def lrs_client_revoke(*, client: LrsClient) -> None:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])

"""`manage.py credentials_revoke PUBLIC_ID --reason TEXT`: revoke one issued credential."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from credentials.models import Credential
from credentials.services import credential_revoke


class Command(BaseCommand):
    help = "Revoke an issued credential (its status list bit is set)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("public_id")
        parser.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            credential = Credential.objects.get(public_id=options["public_id"])
        except (Credential.DoesNotExist, ValidationError) as error:
            raise CommandError(f"No credential {options['public_id']}.") from error
        try:
            credential_revoke(credential=credential, reason=options["reason"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Revoked {credential.public_id}.")

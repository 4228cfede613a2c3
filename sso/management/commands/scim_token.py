from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.models import Institution
from sso.scim.services import scim_token_create


class Command(BaseCommand):
    help = (
        "Create a SCIM bearer token for the institution with slug INSTITUTION and print it "
        "(shown once; only its hash is stored)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("institution", help="the institution's slug")
        parser.add_argument("--name", default="provisioning", help="which client uses it")

    def handle(self, *args: Any, **options: Any) -> None:
        institution = Institution.objects.filter(slug=options["institution"]).first()
        if institution is None:
            raise CommandError(f"No institution with slug {options['institution']!r}.")
        _, key = scim_token_create(institution=institution, name=options["name"])
        self.stdout.write(key)

"""`manage.py credentials_issuer_key SLUG`: give an institution's issuer a new Ed25519 key
(the first, or a rotation), then issue any credentials that waited for one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from credentials import issuer
from credentials.services import credentials_issue_waiting, issuer_key_rotate
from programs.models import Institution


class Command(BaseCommand):
    help = "Generate (or rotate) an institution's credential-signing key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The institution's slug.")

    def handle(self, *args: Any, **options: Any) -> None:
        institution = Institution.objects.filter(slug=options["slug"]).first()
        if institution is None:
            raise CommandError(f"No institution with the slug {options['slug']!r}.")
        key = issuer_key_rotate(institution=institution)
        issued = credentials_issue_waiting(institution=institution)
        self.stdout.write(
            f"{issuer.verification_method_id(key, institution)} is now the signing key; "
            f"{issued} waiting credential(s) issued."
        )

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xapi.services.clients import lrs_client_create


class Command(BaseCommand):
    help = (
        "Issue xAPI credentials (HTTP Basic key and secret) to a client; the secret is shown once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who the client is, e.g. 'Simulation centre'.")
        parser.add_argument(
            "--reads-all",
            action="store_true",
            help="Let the client read every client's statements, not only its own.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        credentials = lrs_client_create(name=options["name"], reads_all=options["reads_all"])
        self.stdout.write(f"key: {credentials.key}\nsecret: {credentials.secret}\n")

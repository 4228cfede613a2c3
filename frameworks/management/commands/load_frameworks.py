from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frameworks.importers import FrameworkImportError
from frameworks.services import frameworks_load_shipped


class Command(BaseCommand):
    help = "Import every framework shipped in frameworks/data/ (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            results = frameworks_load_shipped()
        except FrameworkImportError as exc:
            raise CommandError(str(exc)) from None
        for path, result in results:
            self.stdout.write(f"{path.name}: {result.message}")
        if not results:
            self.stdout.write("No framework files found in frameworks/data/.")

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frameworks.importers import FORMATS, FrameworkImportError
from frameworks.services import framework_import


class Command(BaseCommand):
    help = (
        "Import one framework version from FILE (our JSON schema or CSV layout, a CASE 1.0 "
        "package or MedBiquitous XML; see docs/frameworks.md). All or nothing; re-importing "
        "the same version is a no-op."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="json, csv, case or medbiq (default: from the file name and content)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            file = path.open("rb")
        except OSError as exc:
            raise CommandError(f"{path}: cannot open the file ({exc.strerror}).") from None
        with file:
            try:
                result = framework_import(file=file, fmt=options["format"], filename=path.name)
            except FrameworkImportError as exc:
                raise CommandError(f"{path.name}: {exc}") from None
        self.stdout.write(result.message)
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")

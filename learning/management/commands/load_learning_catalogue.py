from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.catalogue import CatalogueError
from learning.services import catalogue_import

STARTER = Path(__file__).resolve().parents[2] / "data" / "starter_catalogue.json"


class Command(BaseCommand):
    help = (
        "Import learning resources and SNOMED CT ↔ ICD-10-CM pairs from CSV or JSON files "
        "(default: the starter catalogue). Each file is imported whole or not at all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="CSV or JSON catalogue files")

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"] or [STARTER]
        for path in paths:
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from exc
            try:
                result = catalogue_import(content=content, filename=path.name)
            except CatalogueError as exc:
                lines = "\n".join(f"  {error}" for error in exc.errors)
                raise CommandError(f"{path}: nothing imported.\n{lines}") from exc
            self.stdout.write(f"{path.name}: {result}")

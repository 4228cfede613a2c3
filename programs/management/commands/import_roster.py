"""Import a roster CSV into a program: `manage.py import_roster PROGRAM_ID roster.csv`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.models import Program
from programs.services import RosterImportError, roster_import, roster_parse


class Command(BaseCommand):
    help = "Import a roster CSV (columns in docs/programs.md) into a program; all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("program_id", type=int)
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--check", action="store_true", help="Only check the file; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        program = Program.objects.filter(pk=options["program_id"]).first()
        if program is None:
            raise CommandError(f"No program with id {options['program_id']}.")
        path: Path = options["path"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            if options["check"]:
                rows = roster_parse(program=program, data=data)
                self.stdout.write(f"{len(rows)} rows look right; nothing was written.")
                return
            result = roster_import(program=program, data=data)
        except RosterImportError as error:
            for problem in error.errors:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(
                f"Nothing was imported: {len(error.errors)} problem(s) in {path}."
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.rows} rows into {program}: {result.enrollments_created} "
                f"enrolled, {result.enrollments_updated} updated, "
                f"{result.accounts_created} new accounts."
            )
        )

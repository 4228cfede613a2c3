from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frameworks import exporters
from frameworks.importers import FORMATS
from frameworks.models import Framework


class Command(BaseCommand):
    help = (
        "Export framework CODE at VERSION in our JSON schema or CSV layout, as a CASE 1.0 "
        "package or as MedBiquitous XML; import_framework reads the result back unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("version")
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument(
            "--case-base",
            default="http://localhost:8000/ims/case/v1p0/",
            help="the CASE API address the package's uris point into (format case)",
        )
        parser.add_argument(
            "-o", "--output", type=Path, help="write to this file (default: standard output)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        framework = (
            Framework.objects.with_tree()
            .filter(code=options["code"], version=options["version"])
            .first()
        )
        if framework is None:
            known = ", ".join(
                f"{code} {version}"
                for code, version in Framework.objects.values_list("code", "version")
            )
            raise CommandError(
                f"No framework {options['code']} {options['version']}. Known: {known or 'none'}."
            )
        content = exporters.export_file(
            framework, options["format"], case_base=options["case_base"]
        )
        output: Path | None = options["output"]
        if output is None:
            # Write the exact text (no extra newline), so a redirected export is byte-identical.
            self.stdout.write(content.decode(), ending="")
            return
        try:
            output.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"{output}: cannot write the file ({exc.strerror}).") from None
        self.stderr.write(f"Wrote {framework.code} {framework.version} to {output}.")

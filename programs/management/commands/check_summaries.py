"""`manage.py check_summaries [--rebuild]`: prove the period rating summary equal to the raw
assessor ratings (exit status 1 on any difference), or rewrite it from them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from programs.summaries import period_summaries_differences, period_summaries_rebuild


class Command(BaseCommand):
    help = "Compare the period rating summary with the raw ratings; --rebuild rewrites it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="rewrite the summary from the raw ratings"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            written = period_summaries_rebuild()
            self.stdout.write(f"Rebuilt the period rating summary: {written} cells.")
        missing, extra, examples = period_summaries_differences()
        if missing or extra:
            for period, learner, competency, median, n in examples:
                self.stderr.write(
                    f"  period {period}, learner {learner}, competency {competency}: "
                    f"median {median} of {n} ratings is missing or different in the summary"
                )
            raise CommandError(
                f"The period rating summary differs from the raw ratings: {missing} cells "
                f"missing or different, {extra} cells that should not be there. Run "
                "`manage.py check_summaries --rebuild`."
            )
        self.stdout.write("The period rating summary equals the raw ratings.")

"""`manage.py check_evidence_counts [--rebuild]`: prove the learners' evidence counts (the
evidence list's "page n of N"; `portfolio.counts`) equal to their items (exit status 1 on any
difference), or rewrite them from the items. The rating summaries have `check_summaries`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolio.counts import evidence_counts_differences, evidence_counts_rebuild


class Command(BaseCommand):
    help = "Compare the evidence counts with the items; --rebuild rewrites them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="recount every learner's items")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.stdout.write(f"Recounted: {evidence_counts_rebuild()} counts.")
        missing, extra, examples = evidence_counts_differences()
        if not (missing or extra):
            self.stdout.write("The evidence counts equal the items.")
            return
        for learner, kind, n in examples:
            self.stderr.write(
                f"  learner {learner} has {n} items of kind {kind}; the count differs"
            )
        raise CommandError(
            f"The evidence counts differ from the items: {missing} counts missing or different, "
            f"{extra} that should not be there. Run `manage.py check_evidence_counts --rebuild`."
        )

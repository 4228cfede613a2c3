"""`manage.py check_summaries [--rebuild]`: prove the summary tables equal to the raw ratings
they summarise (exit status 1 on any difference), or rewrite them from those ratings. It lives
in assessments, the higher of the two layers, so that it may read both.

- the period rating summary (the cohort heatmap's; `assessments.summaries.periods`);
- the monthly rating summary (the learner dashboard's; `assessments.summaries.monthly`);
- the program rating histogram and month learners (the institution overview's;
  `assessments.summaries.programs`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import MonthlyRatingSummary
from assessments.summaries.monthly import (
    level_of_tenths,
    monthly_summaries_differences,
    monthly_summaries_rebuild,
)
from assessments.summaries.periods import period_summaries_differences, period_summaries_rebuild
from assessments.summaries.programs import (
    program_histogram_differences,
    program_histogram_rebuild,
    program_learners_differences,
    program_learners_rebuild,
)

Differences = Callable[[], tuple[int, int, list[tuple[Any, ...]]]]


def _period_cell(period: Any, learner: Any, competency: Any, median: Any, n: Any) -> str:
    return f"period {period}, learner {learner}, competency {competency}: median {median} of {n}"


def _monthly_cell(
    learner: Any, rated_by: Any, competency: Any, month: Any, total: Any, n: Any, *latest: Any
) -> str:
    who = MonthlyRatingSummary.RatedBy(int(rated_by)).label
    return (
        f"learner {learner}, {who} ratings of competency {competency} in {str(month)[:7]}: "
        f"total {level_of_tenths(int(total))} of {n}, "
        f"latest {level_of_tenths(int(latest[0]))} on {latest[1]}"
    )


def _histogram_cell(program: Any, year: Any, month: Any, level: Any, n: Any) -> str:
    return f"program {program}, year {year} in {str(month)[:7]}: {n} ratings at {level}"


def _learners_cell(program: Any, year: Any, month: Any, learners: Any) -> str:
    return f"program {program}, year {year} in {str(month)[:7]}: {learners} learners rated"


SUMMARIES: list[tuple[str, Callable[[], int], Differences, Callable[..., str]]] = [
    ("period rating summary", period_summaries_rebuild, period_summaries_differences, _period_cell),
    (
        "monthly rating summary",
        monthly_summaries_rebuild,
        monthly_summaries_differences,
        _monthly_cell,
    ),
    (
        "program rating histogram",
        program_histogram_rebuild,
        program_histogram_differences,
        _histogram_cell,
    ),
    (
        "program month learners",
        program_learners_rebuild,
        program_learners_differences,
        _learners_cell,
    ),
]


class Command(BaseCommand):
    help = "Compare the summary tables with the raw ratings; --rebuild rewrites them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="rewrite the summaries from the raw ratings"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed: list[str] = []
        for name, rebuild, differences, describe in SUMMARIES:
            if options["rebuild"]:
                self.stdout.write(f"Rebuilt the {name}: {rebuild()} cells.")
            missing, extra, examples = differences()
            if not (missing or extra):
                self.stdout.write(f"The {name} equals the raw ratings.")
                continue
            for example in examples:
                self.stderr.write(f"  {describe(*example)} is missing or different")
            self.stderr.write(
                f"The {name} differs from the raw ratings: {missing} cells missing or "
                f"different, {extra} cells that should not be there."
            )
            failed.append(name)
        if failed:
            raise CommandError(
                f"{' and '.join(failed).capitalize()} differ from the raw ratings. Run "
                "`manage.py check_summaries --rebuild`."
            )

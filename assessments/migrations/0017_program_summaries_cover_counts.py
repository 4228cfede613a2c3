"""On PostgreSQL the program summaries' unique indexes carry their counts (INCLUDE): the
institution overview sums a window of each from the index alone (an index-only scan) instead
of visiting a table row per cell. Key columns and names are unchanged, so the writers' ON
CONFLICT targets are the same constraints; the models' state does not change (see
`covering_unique_constraint` for why)."""

from django.db import migrations

from core.migration_operations import covering_unique_constraint


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0016_program_histogram_without_competency"),
    ]

    operations = [
        covering_unique_constraint(
            "assessments_programratinghistogram",
            "uniq_program_month_level",
            ["program_id", "month", "training_year", "level"],
            include=["n"],
        ),
        covering_unique_constraint(
            "assessments_programmonthlearners",
            "uniq_program_month_learners",
            ["program_id", "month", "training_year"],
            include=["learners"],
        ),
    ]

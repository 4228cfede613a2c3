"""The program rating histogram drops its competency: the institution overview shows none, and
summing a window over every competency read some twenty times the rows it needed. The cells
already kept are merged, not recomputed: a cell's count over every competency is the sum of
its counts per competency (`manage.py check_summaries` proves the result equal to the raw
rows)."""

from django.db import migrations, models

_TABLE = "assessments_programratinghistogram"
_MERGED = "assessments_programhistogram_merged"
_COLUMNS = "program_id, training_year, month, level"


def merge(apps, schema_editor):
    """One row per program × year × month × level, in plain statements both PostgreSQL and
    SQLite run."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_MERGED} AS SELECT {_COLUMNS}, SUM(n) AS n FROM {_TABLE} "
            f"GROUP BY {_COLUMNS}"
        )
        cursor.execute(f"DELETE FROM {_TABLE}")
        cursor.execute(f"INSERT INTO {_TABLE} ({_COLUMNS}, n) SELECT {_COLUMNS}, n FROM {_MERGED}")
        cursor.execute(f"DROP TABLE {_MERGED}")
        if schema_editor.connection.vendor == "postgresql":
            # The foreign keys are checked at commit; the constraint below alters the table,
            # which PostgreSQL refuses while those checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def empty(apps, schema_editor):
    """Going back, the competency cannot be told again: the table is emptied before its column
    returns, and `manage.py check_summaries --rebuild` refills it."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_TABLE}")
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0015_program_rating_histogram"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="programratinghistogram",
            name="uniq_program_rating_histogram",
        ),
        migrations.RemoveField(
            model_name="programratinghistogram",
            name="competency",
        ),
        migrations.RunPython(merge, empty),
        migrations.AddConstraint(
            model_name="programratinghistogram",
            constraint=models.UniqueConstraint(
                fields=("program", "month", "training_year", "level"),
                name="uniq_program_month_level",
            ),
        ),
    ]

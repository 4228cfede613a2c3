"""Hand the period rating summary over to assessments, rows and all: the table takes
assessments' name and the model leaves programs' state; assessments' 0008 takes it into its
own state without touching the database."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0004_fill_period_rating_summary"),
    ]

    operations = [
        migrations.AlterModelTable(
            name="periodratingsummary", table="assessments_periodratingsummary"
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PeriodRatingSummary")],
            database_operations=[],
        ),
    ]

# Evidence takes over the link to the self-assessments it supports (assessments.0009 let go
# of it): first in state, on the existing table, then the table takes portfolio's name.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0002_access_log_records_scope"),
        ("assessments", "0009_selfassessment_evidence_to_portfolio"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="evidence",
                    name="self_assessments",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="evidence",
                        to="assessments.selfassessment",
                        db_table="assessments_selfassessment_evidence",
                    ),
                )
            ],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="evidence",
            name="self_assessments",
            field=models.ManyToManyField(
                blank=True, related_name="evidence", to="assessments.selfassessment"
            ),
        ),
    ]

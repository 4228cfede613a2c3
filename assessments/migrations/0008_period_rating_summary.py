"""Take over the period rating summary from programs (its 0005 renamed the table): the model
enters assessments' state only, and its content type follows it, so permissions and admin
history stay attached."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import relabel_content_types

MODELS = ["periodratingsummary"]


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0007_monthly_rating_summary_tenths"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("frameworks", "0001_initial"),
        ("programs", "0005_move_period_rating_summary_to_assessments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PeriodRatingSummary",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("median", models.FloatField()),
                        ("n", models.PositiveIntegerField()),
                        (
                            "competency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="frameworks.competency",
                            ),
                        ),
                        (
                            "learner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "period",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="programs.reviewperiod",
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("period", "learner", "competency"),
                                name="uniq_period_rating_summary",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        relabel_content_types("programs", "assessments", MODELS),
    ]

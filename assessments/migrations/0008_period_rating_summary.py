"""Take over the period rating summary from programs (its 0005 renamed the table): the model
enters assessments' state only, and its content type follows it, so permissions and admin
history stay attached."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["periodratingsummary"]


def _relabel(apps, old_label, new_label):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # A row already under the new label (made by a post_migrate in between) wins; the old
        # one is then stale, for `remove_stale_contenttypes` to remove.
        if not ContentType.objects.filter(app_label=new_label, model=model).exists():
            ContentType.objects.filter(app_label=old_label, model=model).update(
                app_label=new_label
            )
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    _relabel(apps, "programs", "assessments")


def backwards(apps, schema_editor):
    _relabel(apps, "assessments", "programs")


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
        migrations.RunPython(forwards, backwards),
    ]

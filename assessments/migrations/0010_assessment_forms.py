"""Assessment forms, and on each rating its form, scale, counted level and optional answers
(filled by 0011, required from 0012)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0009_selfassessment_evidence_to_portfolio"),
        ("frameworks", "0002_shipped_assessment_scales"),
        ("programs", "0006_move_committee_review_to_committee"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AssessmentForm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(blank=True, max_length=60)),
                ("name", models.CharField(max_length=120)),
                (
                    "rates",
                    models.CharField(
                        choices=[("milestones", "Sub-competencies (milestones)"), ("epa", "EPAs")],
                        max_length=20,
                    ),
                ),
                ("went_well_prompt", models.CharField(default="What went well", max_length=200)),
                ("next_step_prompt", models.CharField(default="One thing to work on next", max_length=200)),
                ("optional_prompts", models.JSONField(blank=True, default=list)),
                ("milestone_mapping", models.JSONField(blank=True, default=dict)),
                ("is_active", models.BooleanField(default=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("competencies", models.ManyToManyField(blank=True, related_name="+", to="frameworks.competency")),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "program",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="programs.program",
                    ),
                ),
                (
                    "scale",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="frameworks.ratingscale",
                    ),
                ),
            ],
            options={
                "ordering": ["program_id", "name", "id"],
                "constraints": [
                    models.UniqueConstraint(condition=~Q(code=""), fields=("code",), name="uniq_assessment_form_code"),
                    models.UniqueConstraint(fields=("program", "name"), name="uniq_form_name_in_program"),
                ],
            },
        ),
        migrations.AddField(
            model_name="assessment",
            name="answers",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="assessment",
            name="counted_level",
            field=models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True),
        ),
        migrations.AddField(
            model_name="assessment",
            name="form",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.assessmentform",
            ),
        ),
        migrations.AddField(
            model_name="assessment",
            name="scale",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="frameworks.ratingscale",
            ),
        ),
        migrations.AddField(
            model_name="assessmentrequest",
            name="form",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.assessmentform",
            ),
        ),
    ]

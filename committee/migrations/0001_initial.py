"""Take over committee review's records from programs (its 0006 renamed the tables): the models
enter committee's state only, with the index name the database still has, and their content
types follow them, so permissions and admin history stay attached."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import relabel_content_types

MODELS = ["learnerreview", "consensusrating"]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("frameworks", "0001_initial"),
        ("programs", "0006_move_committee_review_to_committee"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LearnerReview",
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
                        ("training_year", models.PositiveSmallIntegerField()),
                        (
                            "status",
                            models.CharField(
                                choices=[("draft", "In committee"), ("signed_off", "Signed off")],
                                default="draft",
                                max_length=20,
                            ),
                        ),
                        ("summary", models.TextField(blank=True, max_length=4000)),
                        ("signed_off_at", models.DateTimeField(blank=True, null=True)),
                        ("learner_response", models.TextField(blank=True, max_length=4000)),
                        ("responded_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "learner",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="committee_reviews",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "signed_off_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "period",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="reviews",
                                to="programs.reviewperiod",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["period", "learner"],
                        "indexes": [
                            models.Index(
                                fields=["learner", "status"],
                                name="programs_le_learner_7a4a28_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("period", "learner"), name="uniq_review_per_period"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ConsensusRating",
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
                        ("level", models.DecimalField(decimal_places=1, max_digits=3)),
                        ("rationale", models.TextField(max_length=4000)),
                        ("version", models.PositiveSmallIntegerField(default=1)),
                        ("is_current", models.BooleanField(default=True)),
                        ("amendment_reason", models.TextField(blank=True, max_length=2000)),
                        (
                            "recorded_at",
                            models.DateTimeField(default=django.utils.timezone.now),
                        ),
                        (
                            "competency",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="frameworks.competency",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "review",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ratings",
                                to="committee.learnerreview",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["review", "competency", "-version"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("review", "competency", "version"),
                                name="uniq_consensus_version",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("is_current", True)),
                                fields=("review", "competency"),
                                name="uniq_current_consensus",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        relabel_content_types("programs", "committee", MODELS),
    ]

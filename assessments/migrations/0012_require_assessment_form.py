"""Every rating and request has its form and scale (0011 filled them); the heatmap's covering
index covers the counted level, the one summaries read."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessments", "0011_fill_assessment_forms")]

    operations = [        migrations.AlterField(
            model_name="assessment",
            name="form",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.assessmentform",
            ),
        ),
        migrations.AlterField(
            model_name="assessment",
            name="scale",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="frameworks.ratingscale",
            ),
        ),
        migrations.AlterField(
            model_name="assessmentrequest",
            name="form",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="assessments.assessmentform",
            ),
        ),
        migrations.RemoveIndex(model_name="assessment", name="assess_learner_period_cover"),
        migrations.AddIndex(
            model_name="assessment",
            index=models.Index(
                fields=["learner", "observed_on"],
                include=("competency", "counted_level"),
                name="assess_learner_period_cover",
            ),
        ),
    ]

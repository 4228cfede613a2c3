"""Install the shipped rating scales of `frameworks.scales` (O-SCORE, Chen, Zwisch)."""

from decimal import Decimal

from django.db import migrations, models

from frameworks.scales import SHIPPED_SCALES

SCALES = SHIPPED_SCALES


def add_scales(apps, schema_editor):
    RatingScale = apps.get_model("frameworks", "RatingScale")
    ScaleLevel = apps.get_model("frameworks", "ScaleLevel")
    for code, name, kind, levels in SCALES:
        scale, created = RatingScale.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        if not created:
            continue
        ScaleLevel.objects.bulk_create(
            ScaleLevel(scale=scale, value=Decimal(value), label=label, anchor=anchor)
            for value, label, anchor in levels
        )


def remove_scales(apps, schema_editor):
    RatingScale = apps.get_model("frameworks", "RatingScale")
    RatingScale.objects.filter(code__in=[code for code, *_ in SCALES]).delete()


class Migration(migrations.Migration):
    dependencies = [("frameworks", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="ratingscale",
            name="kind",
            field=models.CharField(
                choices=[
                    ("milestone", "Milestone levels"),
                    ("entrustment", "Entrustment / supervision"),
                    ("o-score", "O-SCORE"),
                    ("chen", "Chen entrustment"),
                    ("zwisch", "Zwisch"),
                    ("custom", "Defined by a program"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(add_scales, remove_scales),
    ]

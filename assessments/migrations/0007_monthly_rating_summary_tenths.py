"""The monthly rating summary keeps levels in whole tenths (integers) instead of decimals: the
dashboard reads hundreds of its rows on every view, and converting decimals to tenths in each
statement cost more than reading them. The table is a summary of the raw ratings, so it is
refilled from them; the SQL is spelled out here so later changes cannot change this migration."""

from django.db import migrations, models

RAW = """
INSERT INTO assessments_monthlyratingsummary
    (learner_id, rated_by, competency_id, month, total_tenths, n, last_tenths, last_on)
SELECT learner_id, {rated_by}, competency_id, month, CAST(ROUND(SUM(level) * 10) AS INTEGER),
       COUNT(*), CAST(ROUND(MAX(CASE WHEN rn = 1 THEN level END) * 10) AS INTEGER), MAX(day)
FROM (
    SELECT learner_id, competency_id, {month} AS month, level, {day} AS day,
           ROW_NUMBER() OVER (PARTITION BY learner_id, competency_id, {month}
                              ORDER BY {day} DESC, created_at DESC, id DESC) AS rn
    FROM {table}
) rated
GROUP BY learner_id, competency_id, month"""


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM assessments_monthlyratingsummary", [])
        for rated_by, table, day in (
            (1, "assessments_selfassessment", "assessed_on"),
            (2, "assessments_assessment", "observed_on"),
        ):
            if connection.vendor == "postgresql":
                month = f"CAST(DATE_TRUNC('month', {day}) AS date)"
            else:
                month = f"strftime('%%Y-%%m-01', {day})"
            cursor.execute(RAW.format(rated_by=rated_by, month=month, day=day, table=table), [])


class Migration(migrations.Migration):
    dependencies = [("assessments", "0006_fill_monthly_rating_summary")]

    operations = [
        migrations.RemoveConstraint(
            model_name="monthlyratingsummary", name="uniq_monthly_rating_summary"
        ),
        migrations.RemoveField(model_name="monthlyratingsummary", name="total"),
        migrations.RemoveField(model_name="monthlyratingsummary", name="last_level"),
        migrations.AddField(
            model_name="monthlyratingsummary",
            name="total_tenths",
            field=models.IntegerField(
                default=0, help_text="The sum of the month's levels, in tenths."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="monthlyratingsummary",
            name="last_tenths",
            field=models.PositiveSmallIntegerField(
                default=0, help_text="The month's latest level, in tenths."
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="monthlyratingsummary",
            constraint=models.UniqueConstraint(
                fields=("learner", "rated_by", "month", "competency"),
                include=("total_tenths", "n", "last_tenths", "last_on"),
                name="uniq_monthly_rating_summary",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

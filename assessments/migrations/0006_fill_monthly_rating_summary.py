"""Fill the monthly rating summary from the ratings already recorded (databases created before
it existed); from here on the services keep it exact. The SQL is spelled out here rather than
imported, so later changes to the app cannot change what this migration did."""

from django.db import migrations

RAW = """
INSERT INTO assessments_monthlyratingsummary
    (learner_id, rated_by, competency_id, month, total, n, last_level, last_on)
SELECT learner_id, {rated_by}, competency_id, month, SUM(level), COUNT(*),
       MAX(CASE WHEN rn = 1 THEN level END), MAX(day)
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
            cursor.execute(
                RAW.format(rated_by=rated_by, month=month, day=day, table=table), []
            )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0005_monthly_rating_summary")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

"""Fill the period rating summary from the ratings already recorded (databases created before
it existed); from here on the services keep it exact."""

from django.db import migrations

from core.db import median_sql


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM programs_periodratingsummary")
        cursor.execute(
            "INSERT INTO programs_periodratingsummary "
            "(period_id, learner_id, competency_id, median, n) "
            f"SELECT p.id, a.learner_id, a.competency_id, "
            f"{median_sql('a.level', connection.vendor)}, COUNT(*) "
            "FROM programs_reviewperiod p "
            "JOIN assessments_assessment a "
            "  ON a.observed_on >= p.start_date AND a.observed_on <= p.end_date "
            "WHERE EXISTS (SELECT 1 FROM programs_enrollment e "
            "  WHERE e.program_id = p.program_id AND e.learner_id = a.learner_id) "
            "GROUP BY p.id, a.learner_id, a.competency_id"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_heatmap_covering_index"),
        ("programs", "0003_period_rating_summary"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

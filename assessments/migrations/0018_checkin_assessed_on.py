"""Each check-in keeps the day its items were assessed on, so the coach's trend takes a
learner's last check-ins from an index instead of ranking every item they ever checked in.
Existing check-ins take the latest of their items' days; the SQL is spelled out here so later
changes cannot change this migration."""

from django.conf import settings
from django.db import migrations, models

FILL = """
UPDATE assessments_checkin SET assessed_on = (
    SELECT MAX(s.assessed_on) FROM assessments_selfassessment s
    WHERE s.checkin_id = assessments_checkin.id
)"""


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0017_program_summaries_cover_counts"),
        ("frameworks", "0003_case_identifiers_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="checkin",
            name="assessed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="checkin",
            index=models.Index(
                fields=["learner", "-assessed_on", "-id"], name="checkin_latest_first"
            ),
        ),
    ]

# The link between self-assessments and evidence changes owner: portfolio.Evidence holds it
# from portfolio.0003 on. State only here; the table is renamed there, the rows stay.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assessments", "0008_period_rating_summary")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveField(model_name="selfassessment", name="evidence")],
            database_operations=[],
        )
    ]

"""Current enrollments by program × training year, an index of their own: the institution
overview counts each program's current learners per year from it alone (an index-only scan,
already grouped), where it read and hashed every enrollment row."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0010_institution_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="enrollment",
            index=models.Index(
                condition=models.Q(("end_date__isnull", True)),
                fields=["program", "training_year"],
                name="enrollment_current_year",
            ),
        ),
    ]

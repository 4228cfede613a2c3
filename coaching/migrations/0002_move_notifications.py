# Notifications move to their own app (notifications/). The tables are renamed here and the
# models leave coaching's state; notifications.0001 takes them over without touching the data.
from django.db import migrations

MOVED = ("Notification", "NotificationPreference", "Digest")


class Migration(migrations.Migration):
    dependencies = [("coaching", "0001_initial")]

    operations = [
        *(
            migrations.AlterModelTable(name=name, table=f"notifications_{name.lower()}")
            for name in MOVED
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]

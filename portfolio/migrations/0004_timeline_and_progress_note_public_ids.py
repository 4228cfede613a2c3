# Timeline entries and goal progress notes get the stable identifier the other portfolio items
# have (an archive carries it, so a re-import recognises them): added empty, filled row by
# row, then made unique.
import uuid

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MODELS = ("timelineentry", "goalprogressnote")


def fill_public_ids(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for name in MODELS:
        model = apps.get_model("portfolio", name)
        batch = []
        for row in model.objects.filter(public_id__isnull=True).only("pk").iterator(2000):
            row.public_id = uuid.uuid4()
            batch.append(row)
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["public_id"])
                batch = []
        model.objects.bulk_update(batch, ["public_id"])


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0003_evidence_self_assessments")]

    operations = [
        *(
            migrations.AddField(
                model_name=name, name="public_id", field=models.UUIDField(null=True, editable=False)
            )
            for name in MODELS
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        *(
            migrations.AlterField(
                model_name=name,
                name="public_id",
                field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
            )
            for name in MODELS
        ),
    ]

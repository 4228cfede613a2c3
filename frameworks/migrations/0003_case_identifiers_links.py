# CASE identifiers for stored frameworks and items (derived as frameworks.identifiers derives
# them for new ones), the public flag, and links between frameworks (issue 21).

import django.db.models.deletion
import uuid
from django.db import migrations, models


NAMESPACE = uuid.UUID("54dcdb60-98c6-4a21-b822-c65d1b4da171")  # frameworks.identifiers


def fill_identifiers(apps, schema_editor):
    Framework = apps.get_model("frameworks", "Framework")
    Competency = apps.get_model("frameworks", "Competency")
    codes = {}
    for framework in Framework.objects.all():
        codes[framework.pk] = framework.code
        framework.uuid = uuid.uuid5(NAMESPACE, f"document:{framework.code}:{framework.version}")
        framework.save(update_fields=["uuid"])
    items = {}
    competencies = list(Competency.objects.order_by("parent_id", "pk"))
    for competency in competencies:
        code = codes[competency.framework_id]
        items[competency.pk] = uuid.uuid5(
            NAMESPACE, f"item:{code}:{competency.code}:{competency.title}"
        )
    for competency in competencies:
        competency.uuid = items[competency.pk]
        parent = items[competency.parent_id] if competency.parent_id else codes[competency.framework_id]
        competency.child_of_uuid = uuid.uuid5(NAMESPACE, f"isChildOf:{competency.uuid}:{parent}")
    Competency.objects.bulk_update(competencies, ["uuid", "child_of_uuid"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('frameworks', '0002_shipped_assessment_scales'),
    ]

    operations = [
        migrations.CreateModel(
            name='CompetencyLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('isRelatedTo', 'is related to'), ('exactMatchOf', 'is an exact match of'), ('isPartOf', 'is part of'), ('isPeerOf', 'is a peer of')], default='isRelatedTo', max_length=20)),
                ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'ordering': ['origin', 'destination'],
            },
        ),
        migrations.AddField(
            model_name='competency',
            name='child_of_uuid',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='competency',
            name='uuid',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='framework',
            name='public',
            field=models.BooleanField(default=False, help_text='Serve this version through the CASE REST API to anyone, without a token.'),
        ),
        migrations.AddField(
            model_name='framework',
            name='uuid',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_identifiers, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='framework',
            name='uuid',
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name='competency',
            name='uuid',
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
        migrations.AlterField(
            model_name='competency',
            name='child_of_uuid',
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
        migrations.AddConstraint(
            model_name='competency',
            constraint=models.UniqueConstraint(fields=('framework', 'uuid'), name='uniq_competency_uuid'),
        ),
        migrations.AddField(
            model_name='competencylink',
            name='destination',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_in', to='frameworks.competency'),
        ),
        migrations.AddField(
            model_name='competencylink',
            name='origin',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='links_out', to='frameworks.competency'),
        ),
        migrations.AddConstraint(
            model_name='competencylink',
            constraint=models.UniqueConstraint(fields=('origin', 'destination', 'kind'), name='uniq_competency_link'),
        ),
        migrations.AddConstraint(
            model_name='competencylink',
            constraint=models.CheckConstraint(condition=models.Q(('origin', models.F('destination')), _negated=True), name='competency_link_not_to_itself'),
        ),
    ]

"""The two AMA PRA credit categories, which every US physician's board counts: facts, not
configuration. Other credit types are added in the admin."""

from django.db import migrations

BUILT_IN = [
    ("ama-pra-category-1", "AMA PRA Category 1 Credit", True, 10),
    ("ama-pra-category-2", "AMA PRA Category 2 Credit", False, 20),
]


def add(apps, schema_editor):
    CreditType = apps.get_model("cpd", "CreditType")
    for code, name, is_category_1, order in BUILT_IN:
        CreditType.objects.update_or_create(
            code=code, defaults={"name": name, "is_category_1": is_category_1, "order": order}
        )


def remove(apps, schema_editor):
    CreditType = apps.get_model("cpd", "CreditType")
    CreditType.objects.filter(code__in=[code for code, *_ in BUILT_IN]).delete()


class Migration(migrations.Migration):
    dependencies = [("cpd", "0001_cpd_diary")]
    operations = [migrations.RunPython(add, remove)]

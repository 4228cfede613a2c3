"""Assessment forms and the scale of each rating.

Every observation recorded before forms existed moves, by its framework's scale, to one of two
shipped forms: "Milestone levels" (a milestone scale) or "EPA entrustment" (an entrustment
scale). Both rate on the framework's own scale, so each rating keeps its level, and its
counted level (what summaries read) is that same level: nothing a summary shows changes.
Open and closed requests move to the shipped form of their framework's kind the same way.
"""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery

SHIPPED = [
    ("milestone-levels", "Milestone levels", "milestones", "milestone"),
    ("epa-entrustment", "EPA entrustment", "epa", "entrustment"),
]


def fill(apps, schema_editor):
    AssessmentForm = apps.get_model("assessments", "AssessmentForm")
    Assessment = apps.get_model("assessments", "Assessment")
    AssessmentRequest = apps.get_model("assessments", "AssessmentRequest")
    Competency = apps.get_model("frameworks", "Competency")
    forms = {}
    for code, name, rates, scale_kind in SHIPPED:
        form, _ = AssessmentForm.objects.get_or_create(
            code=code, defaults={"name": name, "rates": rates}
        )
        forms[scale_kind] = form
    # One set-based UPDATE per scale kind: the rating's scale is its framework's.
    framework_scale = Competency.objects.filter(pk=OuterRef("competency_id")).values(
        "framework__scale_id"
    )[:1]
    Assessment.objects.update(scale_id=Subquery(framework_scale), counted_level=F("level"))
    for scale_kind, form in forms.items():
        Assessment.objects.filter(
            competency__framework__scale__kind=scale_kind
        ).update(form=form)
    # A framework whose scale is of neither kind (none ship, but an import could): its
    # ratings still need a form; the shipped one of the framework's kind holds them.
    for rates, scale_kind in (("milestones", "milestone"), ("epa", "entrustment")):
        Assessment.objects.filter(form__isnull=True, competency__framework__kind=rates).update(
            form=forms[scale_kind]
        )
        AssessmentRequest.objects.filter(framework__kind=rates).update(form=forms[scale_kind])


def unfill(apps, schema_editor):
    """Backwards: the columns go; the shipped forms go with the table."""


class Migration(migrations.Migration):
    dependencies = [("assessments", "0010_assessment_forms")]

    operations = [migrations.RunPython(fill, unfill)]

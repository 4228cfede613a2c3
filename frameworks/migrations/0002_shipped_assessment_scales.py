"""The rating scales assessment forms may use besides a framework's own: O-SCORE, the Chen
entrustment scale (with its sub-levels) and the Zwisch scale for the operating room.

The scales' names and level numbers are facts; every label and anchor below is written in our
own words. Chen's sub-levels (1a, 1b, 2a, …) are stored as tenths of their level (1.1, 1.2,
2.1, …) so the order of values is the order of the scale.
"""

from decimal import Decimal

from django.db import migrations, models

SCALES = [
    (
        "o-score",
        "O-SCORE",
        "o-score",
        [
            ("1", "Supervisor did it", "The supervisor carried out the work; the trainee watched or helped with small parts."),
            ("2", "Step-by-step guidance", "The trainee did the work while the supervisor directed each step aloud."),
            ("3", "Occasional cues", "The trainee led; the supervisor stepped in with a cue now and then."),
            ("4", "Nearby, just in case", "The trainee worked alone; the supervisor stayed close in case of trouble."),
            ("5", "Independent", "The trainee could have done this with no supervisor present."),
        ],
    ),
    (
        "chen-entrustment",
        "Chen entrustment scale",
        "chen",
        [
            ("1.1", "1a", "Not yet taking part: still building the knowledge needed to watch the task usefully."),
            ("1.2", "1b", "Not yet taking part: knows enough to watch the task closely and learn from it."),
            ("2.1", "2a", "Does the task together with the supervisor, sharing the work."),
            ("2.2", "2b", "Does the task with the supervisor in the room, ready to take over."),
            ("3.1", "3a", "Does the task with a supervisor quickly available; every finding is checked afterwards."),
            ("3.2", "3b", "Does the task with a supervisor quickly available; the important findings are checked afterwards."),
            ("3.3", "3c", "Does the task with a supervisor reachable from a distance; checks happen on request."),
            ("4", "4", "Does the task without supervision and reports back as usual."),
            ("5", "5", "Supervises others doing the task."),
        ],
    ),
    (
        "zwisch",
        "Zwisch scale",
        "zwisch",
        [
            ("1", "Faculty leads and explains", "The faculty surgeon does the key parts and explains them; the resident watches and assists."),
            ("2", "Faculty actively guides", "The resident does parts of the case while the faculty surgeon sets up each step and coaches."),
            ("3", "Resident leads, faculty assists", "The resident directs the case and the next steps; the faculty surgeon assists and follows."),
            ("4", "Supervision only", "The resident runs the whole case; the faculty surgeon only watches, stepping in for safety."),
        ],
    ),
]


def add_scales(apps, schema_editor):
    RatingScale = apps.get_model("frameworks", "RatingScale")
    ScaleLevel = apps.get_model("frameworks", "ScaleLevel")
    for code, name, kind, levels in SCALES:
        scale, created = RatingScale.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        if not created:
            continue
        ScaleLevel.objects.bulk_create(
            ScaleLevel(scale=scale, value=Decimal(value), label=label, anchor=anchor)
            for value, label, anchor in levels
        )


def remove_scales(apps, schema_editor):
    RatingScale = apps.get_model("frameworks", "RatingScale")
    RatingScale.objects.filter(code__in=[code for code, *_ in SCALES]).delete()


class Migration(migrations.Migration):
    dependencies = [("frameworks", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="ratingscale",
            name="kind",
            field=models.CharField(
                choices=[
                    ("milestone", "Milestone levels"),
                    ("entrustment", "Entrustment / supervision"),
                    ("o-score", "O-SCORE"),
                    ("chen", "Chen entrustment"),
                    ("zwisch", "Zwisch"),
                    ("custom", "Defined by a program"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(add_scales, remove_scales),
    ]

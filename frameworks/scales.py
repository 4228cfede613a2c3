"""The rating scales assessment forms may use besides a framework's own: O-SCORE, the Chen
entrustment scale (with its sub-levels) and the Zwisch scale for the operating room.

The scales' names and level numbers are facts; every label and anchor here is written in our
own words. Chen's sub-levels (1a, 1b, 2a, …) are stored as tenths of their level (1.1, 1.2,
2.1, …) so the order of values is the order of the scale. Migration 0002 installs them;
`shipped_scales_ensure` puts back any that a bulk loader emptied.
"""

# ruff: noqa: E501 — a data table: one level per line reads best.
from __future__ import annotations

from decimal import Decimal

from frameworks.models import RatingScale, ScaleLevel

# (code, name, kind, [(value, label, anchor), ...])
SHIPPED_SCALES: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "o-score",
        "O-SCORE",
        "o-score",
        [
            (
                "1",
                "Supervisor did it",
                "The supervisor carried out the work; the trainee watched or helped with small parts.",
            ),
            (
                "2",
                "Step-by-step guidance",
                "The trainee did the work while the supervisor directed each step aloud.",
            ),
            (
                "3",
                "Occasional cues",
                "The trainee led; the supervisor stepped in with a cue now and then.",
            ),
            (
                "4",
                "Nearby, just in case",
                "The trainee worked alone; the supervisor stayed close in case of trouble.",
            ),
            ("5", "Independent", "The trainee could have done this with no supervisor present."),
        ],
    ),
    (
        "chen-entrustment",
        "Chen entrustment scale",
        "chen",
        [
            (
                "1.1",
                "1a",
                "Not yet taking part: still building the knowledge needed to watch the task usefully.",
            ),
            (
                "1.2",
                "1b",
                "Not yet taking part: knows enough to watch the task closely and learn from it.",
            ),
            ("2.1", "2a", "Does the task together with the supervisor, sharing the work."),
            ("2.2", "2b", "Does the task with the supervisor in the room, ready to take over."),
            (
                "3.1",
                "3a",
                "Does the task with a supervisor quickly available; every finding is checked afterwards.",
            ),
            (
                "3.2",
                "3b",
                "Does the task with a supervisor quickly available; the important findings are checked afterwards.",
            ),
            (
                "3.3",
                "3c",
                "Does the task with a supervisor reachable from a distance; checks happen on request.",
            ),
            ("4", "4", "Does the task without supervision and reports back as usual."),
            ("5", "5", "Supervises others doing the task."),
        ],
    ),
    (
        "zwisch",
        "Zwisch scale",
        "zwisch",
        [
            (
                "1",
                "Faculty leads and explains",
                "The faculty surgeon does the key parts and explains them; the resident watches and assists.",
            ),
            (
                "2",
                "Faculty actively guides",
                "The resident does parts of the case while the faculty surgeon sets up each step and coaches.",
            ),
            (
                "3",
                "Resident leads, faculty assists",
                "The resident directs the case and the next steps; the faculty surgeon assists and follows.",
            ),
            (
                "4",
                "Supervision only",
                "The resident runs the whole case; the faculty surgeon only watches, stepping in for safety.",
            ),
        ],
    ),
]


def shipped_scales_ensure() -> dict[str, RatingScale]:
    """The shipped scales by code, created with their levels where missing."""
    found: dict[str, RatingScale] = {}
    for code, name, kind, levels in SHIPPED_SCALES:
        scale, created = RatingScale.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind}
        )
        if created:
            ScaleLevel.objects.bulk_create(
                ScaleLevel(scale=scale, value=Decimal(value), label=label, anchor=anchor)
                for value, label, anchor in levels
            )
        found[code] = scale
    return found

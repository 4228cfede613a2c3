"""The CPD transcript: the learner's activities as CSV (through `core.csv`, so no cell runs as
a formula) and the rows the printable page shows."""

from __future__ import annotations

import io
from collections.abc import Iterable

from core.csv import writer
from cpd.models import CpdActivity

HEADER = [
    "Date",
    "Title",
    "Provider",
    "Credit type",
    "Credits (hours)",
    "Competencies",
    "Evidence",
    "Notes",
]


def transcript_rows(activities: Iterable[CpdActivity]) -> list[list[str]]:
    """One row per activity, oldest first, as both exports show it."""
    rows = []
    for activity in sorted(activities, key=lambda a: (a.occurred_on, a.pk)):
        rows.append(
            [
                activity.occurred_on.isoformat(),
                activity.title,
                activity.provider,
                activity.credit_type.name,
                f"{activity.hours:f}",
                "; ".join(f"{c.framework.code} {c.code}" for c in activity.competencies.all()),
                "; ".join(e.title for e in activity.evidence.all()),
                activity.notes,
            ]
        )
    return rows


def transcript_csv(activities: Iterable[CpdActivity]) -> str:
    buffer = io.StringIO()
    out = writer(buffer, lineterminator="\n")
    out.writerow(HEADER)
    out.writerows(transcript_rows(activities))
    return buffer.getvalue()

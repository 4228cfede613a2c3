"""The case log as CSV for transcription into an accreditation body's case-log system. The
columns are documented in docs/caselog.md; cells go through `core.csv`, so none runs as a
spreadsheet formula."""

from __future__ import annotations

import io
from collections.abc import Iterable

from caselog.models import CaseLogEntry
from core.csv import writer

COLUMNS = [
    "entry_id",
    "date",
    "procedure_code",
    "procedure_name",
    "role",
    "site",
    "supervisor",
    "supervisor_email",
    "patient_age_band",
    "patient_sex",
    "verified",
    "verified_on",
    "notes",
]


def caselog_csv(entries: Iterable[CaseLogEntry]) -> str:
    buffer = io.StringIO()
    out = writer(buffer, lineterminator="\n")
    out.writerow(COLUMNS)
    for entry in entries:
        out.writerow(
            [
                str(entry.public_id),
                entry.performed_on.isoformat(),
                entry.procedure.code,
                entry.procedure.name,
                entry.role,
                entry.site,
                entry.supervisor.name,
                entry.supervisor.email,
                entry.age_band,
                entry.sex,
                "yes" if entry.verified_at else "no",
                entry.verified_at.date().isoformat() if entry.verified_at else "",
                entry.notes,
            ]
        )
    return buffer.getvalue()

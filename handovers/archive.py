"""The handovers' section of the portable archive (docs/portfolio-export.md): each handover
the learner sent, with exactly what the receiving program was shown (`content`, frozen at
sending) and whether it was withdrawn. Drafts stay here. Addressed to a program of this
deployment, a handover is kept on import as a read-only record of what was sent."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from accounts.models import User
from handovers.models import Handover
from handovers.selectors import handovers_of
from portfolio.archive import ArchiveSection, Checker, ExportContext, archive_section_register


def _stamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _sent(learner: User) -> Any:
    return handovers_of(viewer=learner, learner=learner).exclude(status=Handover.Status.DRAFT)


def _handovers(context: ExportContext) -> list[dict[str, Any]]:
    return [
        {
            "id": str(h.public_id),
            "institution": h.program.institution.name,
            "program": h.program.name,
            "note": h.note,
            "status": h.status,
            "content": h.content,
            "sent_at": _stamp(h.sent_at),
            "withdrawn_at": _stamp(h.withdrawn_at),
        }
        for h in _sent(context.learner)
    ]


def _check(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.text(item, "institution", p, max_length=200)
    check.text(item, "program", p, max_length=200)
    check.text(item, "note", p, max_length=2000)
    check.choice(item, "status", p, [Handover.Status.SENT, Handover.Status.WITHDRAWN])
    check.obj(item.get("content"), p + "content")
    check.instant(item, "sent_at", p, optional=False)
    check.instant(item, "withdrawn_at", p)


def _ids(learner: User) -> list[uuid.UUID]:
    return list(_sent(learner).values_list("public_id", flat=True))


def register() -> None:
    archive_section_register(
        ArchiveSection(
            key="handovers",
            label=lambda h: f"To {h['program']}, {h['institution']} ({h['status']})",
            author=lambda h: "",
            one="handover",
            several="handovers",
            description="handovers the learner sent to the next program",
            export=_handovers,
            check=_check,
            sort_key=lambda h: (h["sent_at"], h["program"]),
            known_ids=_ids,
        )
    )

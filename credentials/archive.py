"""The credentials' section of the portable archive (docs/portfolio-export.md): every
credential issued to the learner, as the signed JSON they download, with its revocation as
the issuer recorded it. On import it is kept as a read-only record: the document stays
exactly as signed, so anyone can still verify it against its issuer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from accounts.models import User
from credentials.models import Credential
from portfolio.archive import ArchiveSection, Checker, ExportContext, archive_section_register

DOCUMENT_MAX_CHARS = 64 * 1024


def _stamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _credentials(context: ExportContext) -> list[dict[str, Any]]:
    return [
        {
            "id": str(c.public_id),
            "title": c.title,
            "issuer": c.institution.name,
            "issued_at": _stamp(c.issued_at),
            "revoked_at": _stamp(c.revoked_at),
            "revocation_reason": c.revocation_reason,
            "document": c.document,
        }
        for c in Credential.objects.filter(learner=context.learner).select_related("institution")
    ]


def _check(check: Checker, item: dict[str, Any], p: str, evidence: set[str]) -> None:
    check.text(item, "title", p, max_length=300)
    check.text(item, "issuer", p, max_length=200)
    check.instant(item, "issued_at", p, optional=False)
    check.instant(item, "revoked_at", p)
    check.text(item, "revocation_reason", p, max_length=500)
    document = check.obj(item.get("document"), p + "document")
    if len(str(document)) > DOCUMENT_MAX_CHARS:
        check.add(p + "document", f"Longer than {DOCUMENT_MAX_CHARS} characters.")
    elif document and document.get("id") != f"urn:uuid:{item.get('id')}":
        check.add(p + "document", "The credential's id does not match the item's.")


def _ids(learner: User) -> list[uuid.UUID]:
    return list(Credential.objects.filter(learner=learner).values_list("public_id", flat=True))


def register() -> None:
    archive_section_register(
        ArchiveSection(
            key="credentials",
            label=lambda c: c["title"],
            author=lambda c: c["issuer"],
            one="credential",
            several="credentials",
            description="verifiable credentials issued to the learner",
            export=_credentials,
            check=_check,
            sort_key=lambda c: (c["issued_at"], c["title"]),
            known_ids=_ids,
        )
    )

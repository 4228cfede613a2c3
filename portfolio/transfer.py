"""The portable portfolio: export everything a learner owns as one archive, import it elsewhere.

The archive is a ZIP file:

    manifest.json    schema name and version, SHA-256 of the document and of every file
    portfolio.json   the document (docs/portfolio-export.md describes every field)
    summary.html     a printable summary for people
    files/…          the evidence files

Framework references are `{"framework": code, "version": version, "code": competency code}`
and are matched by code and version on import. What cannot be matched is kept (as an
ImportedRecord or in `unmatched_competencies`), reported, and exported again — nothing is
silently dropped. Export and import run as Celery tasks (portfolio/tasks.py) and record their
progress on the PortfolioTransfer row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from assessments.models import Assessment, CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.summaries.monthly import monthly_summaries_refresh
from frameworks.models import Competency, Framework
from portfolio.models import (
    Evidence,
    Goal,
    GoalProgressNote,
    ImportedRecord,
    LearnerProfile,
    PortfolioTransfer,
    TimelineEntry,
)
from portfolio.uploads import ALLOWED_TYPES, SNIFF_BYTES, detect_content_type
from programs.models import Enrollment, Program

SCHEMA = "continuum-portfolio"
SCHEMA_VERSION = 1
DOCUMENT = "portfolio.json"
MANIFEST = "manifest.json"
SUMMARY = "summary.html"
PROGRESS_EVERY = 25
BATCH = 500


def archive_max_bytes() -> int:
    return int(getattr(settings, "PORTFOLIO_ARCHIVE_MAX_BYTES", 1024 * 1024 * 1024))


# --- Shapes ------------------------------------------------------------------------------------


def _ref(competency: Competency) -> dict[str, str]:
    return {
        "framework": competency.framework.code,
        "version": competency.framework.version,
        "code": competency.code,
    }


def _ref_key(ref: dict[str, str]) -> tuple[str, str, str]:
    return (ref["framework"], ref["version"], ref["code"])


def _sorted_refs(refs: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    unique = {_ref_key(r): r for r in refs}
    return [{"framework": k[0], "version": k[1], "code": k[2]} for k in sorted(unique)]


def _level(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}"


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _sa_item(sa: SelfAssessment, evidence_refs: dict[int, str]) -> dict[str, Any]:
    return {
        **_ref(sa.competency),
        "level": _level(sa.level),
        "note": sa.note,
        "assessed_on": _date(sa.assessed_on),
        "evidence": sorted(evidence_refs[e.pk] for e in sa.evidence.all()),
    }


def _item_sort(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item["assessed_on"],
        item["framework"],
        item["version"],
        item["code"],
        item["level"],
        item["note"],
    )


# --- Export ------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    document: dict[str, Any]
    files: list[tuple[str, Evidence]]


def portfolio_document(*, learner: User) -> ExportResult:
    """Build the export document of everything the learner owns (a fixed number of queries)."""
    profile = LearnerProfile.objects.filter(learner=learner).first()

    timeline: list[dict[str, Any]] = [
        {
            "institution": e.program.institution.name,
            "program": e.program.name,
            "stage": e.program.stage,
            "specialty": e.program.specialty,
            "training_year": e.training_year,
            "year_label": e.year_label,
            "start_date": _date(e.start_date),
            "end_date": _date(e.end_date),
        }
        for e in Enrollment.objects.filter(learner=learner).select_related(
            "program", "program__institution"
        )
    ]
    timeline += [
        {
            "institution": t.institution_name,
            "program": t.program_name,
            "stage": t.stage,
            "specialty": t.specialty,
            "training_year": t.training_year,
            "year_label": t.year_label,
            "start_date": _date(t.start_date),
            "end_date": _date(t.end_date),
        }
        for t in TimelineEntry.objects.filter(learner=learner)
    ]
    timeline.sort(key=lambda t: (t["start_date"], t["program"], t["institution"]))

    evidence_rows = list(
        Evidence.objects.filter(learner=learner).prefetch_related("competencies__framework")
    )
    evidence_rows.sort(
        key=lambda e: (
            e.occurred_on,
            e.kind,
            e.title,
            e.body,
            e.file_sha256,
            e.external_source,
            e.external_id,
        )
    )
    evidence_refs = {e.pk: f"e{index}" for index, e in enumerate(evidence_rows, start=1)}
    files: list[tuple[str, Evidence]] = []
    evidence_docs: list[dict[str, Any]] = []
    for e in evidence_rows:
        file_doc = None
        if e.file:
            extension = (e.file.name or "").rsplit(".", 1)[-1].lower()
            path = f"files/{evidence_refs[e.pk]}.{extension}"
            files.append((path, e))
            file_doc = {
                "path": path,
                "name": e.file_name,
                "content_type": e.file_type,
                "size": e.file_size,
                "sha256": e.file_sha256,
            }
        evidence_docs.append(
            {
                "ref": evidence_refs[e.pk],
                "kind": e.kind,
                "title": e.title,
                "body": e.body,
                "occurred_on": _date(e.occurred_on),
                "credit_hours": None if e.credit_hours is None else _level(e.credit_hours),
                "external_source": e.external_source,
                "external_id": e.external_id,
                "competencies": _sorted_refs(
                    [_ref(c) for c in e.competencies.all()] + list(e.unmatched_competencies)
                ),
                "file": file_doc,
            }
        )

    items = SelfAssessment.objects.select_related(
        "competency", "competency__framework"
    ).prefetch_related(Prefetch("evidence", queryset=Evidence.objects.only("id")))
    unmatched_by_token: dict[str, list[dict[str, Any]]] = defaultdict(list)
    loose_unmatched: list[dict[str, Any]] = []
    assessments_imported: list[dict[str, Any]] = []
    for record in ImportedRecord.objects.filter(learner=learner):
        payload = dict(record.payload)
        if record.kind == ImportedRecord.Kind.ASSESSMENT:
            assessments_imported.append(payload)
            continue
        token = payload.pop("checkin", None)
        if token:
            unmatched_by_token[token].append(payload)
        else:
            loose_unmatched.append(payload)

    checkins: list[dict[str, Any]] = []
    for checkin in (
        CheckIn.objects.filter(learner=learner)
        .select_related("framework")
        .prefetch_related(Prefetch("items", queryset=items))
    ):
        token = str(checkin.client_token)
        entries = [_sa_item(sa, evidence_refs) for sa in checkin.items.all()]
        entries += unmatched_by_token.pop(token, [])
        checkins.append(
            {
                "client_token": token,
                "created_at": _stamp(checkin.created_at),
                "framework": (
                    {"framework": checkin.framework.code, "version": checkin.framework.version}
                    if checkin.framework
                    else None
                ),
                "items": sorted(entries, key=_item_sort),
            }
        )
    checkins.sort(key=lambda c: (c["created_at"], c["client_token"]))
    # Unmatched items whose check-in is gone stay with the loose self-assessments.
    for orphans in unmatched_by_token.values():
        loose_unmatched.extend(orphans)
    loose = [
        _sa_item(sa, evidence_refs) for sa in items.filter(learner=learner, checkin__isnull=True)
    ] + loose_unmatched

    goals: list[dict[str, Any]] = []
    for goal in Goal.objects.filter(learner=learner).prefetch_related(
        "competencies__framework",
        Prefetch("evidence", queryset=Evidence.objects.only("id")),
        "progress_notes",
    ):
        goals.append(
            {
                "title": goal.title,
                "measure": goal.measure,
                "plan": goal.plan,
                "target_date": _date(goal.target_date),
                "status": goal.status,
                "competencies": _sorted_refs(
                    [_ref(c) for c in goal.competencies.all()] + list(goal.unmatched_competencies)
                ),
                "evidence": sorted(evidence_refs[e.pk] for e in goal.evidence.all()),
                "progress_notes": sorted(
                    (
                        {"noted_on": _date(n.noted_on), "text": n.text}
                        for n in goal.progress_notes.all()
                    ),
                    key=lambda n: (n["noted_on"], n["text"]),
                ),
            }
        )
    goals.sort(key=lambda g: (g["target_date"], g["title"], g["measure"], g["status"]))

    assessments = [
        {
            **_ref(a.competency),
            "assessor": a.assessor.name if a.assessor else "",
            "level": _level(a.level),
            "went_well": a.went_well,
            "next_step": a.next_step,
            "context": a.context,
            "observed_on": _date(a.observed_on),
            "source": a.source,
        }
        for a in Assessment.objects.filter(learner=learner).select_related(
            "assessor", "competency", "competency__framework"
        )
    ] + assessments_imported
    assessments.sort(
        key=lambda a: (
            a["observed_on"],
            a["framework"],
            a["version"],
            a["code"],
            a["level"],
            a["assessor"],
            a["went_well"],
            a["next_step"],
        )
    )

    referenced: set[tuple[str, str]] = set()
    for entry in [*evidence_docs, *goals]:
        referenced |= {(r["framework"], r["version"]) for r in entry["competencies"]}
    for collection in ([i for c in checkins for i in c["items"]], loose, assessments):
        referenced |= {(i["framework"], i["version"]) for i in collection}
    names = dict(
        ((f.code, f.version), f.name)
        for f in Framework.objects.filter(code__in={code for code, _ in referenced})
    )
    document = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "exported_at": _stamp(timezone.now()),
        "learner": {"name": learner.name, "email": learner.email},
        "profile": {
            "headline": profile.headline if profile else "",
            "about": profile.about if profile else "",
        },
        "timeline": timeline,
        "frameworks": [
            {"framework": code, "version": version, "name": names.get((code, version), "")}
            for code, version in sorted(referenced)
        ],
        "evidence": evidence_docs,
        "checkins": checkins,
        "self_assessments": sorted(loose, key=_item_sort),
        "goals": goals,
        "assessments_received": assessments,
    }
    return ExportResult(document=document, files=files)


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2).encode()


def write_archive(
    *,
    learner: User,
    target: Any,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Write the learner's archive to the binary file `target`; return the document."""
    result = portfolio_document(learner=learner)
    total = len(result.files) + 1
    body = _canonical(result.document)
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "document": DOCUMENT,
        "document_sha256": hashlib.sha256(body).hexdigest(),
        "summary": SUMMARY,
        "files": {},
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(DOCUMENT, body)
        for index, (path, evidence) in enumerate(result.files, start=1):
            digest = hashlib.sha256()
            with (
                evidence.file.open("rb") as source,
                archive.open(path, "w", force_zip64=True) as out,
            ):
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    digest.update(chunk)
                    out.write(chunk)
            manifest["files"][path] = digest.hexdigest()
            if progress and index % PROGRESS_EVERY == 0:
                progress(index, total, "Copying files")
        summary = render_to_string(
            "portfolio/export_summary.html", {"doc": result.document, "learner": learner}
        )
        archive.writestr(SUMMARY, summary.encode())
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
    return result.document


def _set_progress(job_id: int, done: int, total: int, step: str) -> None:
    PortfolioTransfer.objects.filter(pk=job_id).update(done=done, total=total, step=step)


def portfolio_export_start(*, learner: User) -> PortfolioTransfer:
    """Queue an export of the learner's portfolio; the task runs after this commits."""
    from portfolio.tasks import portfolio_export_task

    with transaction.atomic():
        job = PortfolioTransfer.objects.create(
            learner=learner, direction=PortfolioTransfer.Direction.EXPORT, step="Queued"
        )
        transaction.on_commit(lambda: portfolio_export_task.delay(job.pk))
    return job


def portfolio_export_run(*, transfer_id: int) -> PortfolioTransfer | None:
    """Build the archive for an export job. Safe to run twice: a finished job is left alone."""
    job = (
        PortfolioTransfer.objects.select_related("learner")
        .filter(pk=transfer_id, direction=PortfolioTransfer.Direction.EXPORT)
        .first()
    )
    if job is None or job.status == PortfolioTransfer.Status.DONE:
        return job
    PortfolioTransfer.objects.filter(pk=job.pk).update(
        status=PortfolioTransfer.Status.RUNNING, step="Collecting records"
    )
    try:
        with tempfile.TemporaryFile() as handle:
            write_archive(
                learner=job.learner,
                target=handle,
                progress=lambda done, total, step: _set_progress(job.pk, done, total, step),
            )
            size = handle.tell()
            handle.seek(0)
            name = default_storage.save(
                f"transfers/{job.learner_id}/{job.public_id.hex}.zip", File(handle)
            )
    except Exception as error:
        PortfolioTransfer.objects.filter(pk=job.pk).update(
            status=PortfolioTransfer.Status.FAILED,
            error=f"The export failed: {error}",
            finished_at=timezone.now(),
        )
        raise
    PortfolioTransfer.objects.filter(pk=job.pk).update(
        status=PortfolioTransfer.Status.DONE,
        archive=name,
        archive_size=size,
        step="Ready to download",
        done=1,
        total=1,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


# --- Reading an archive ------------------------------------------------------------------------


class ArchiveInvalidError(ValidationError):
    """The archive is damaged, tampered with, of another version, or not ours."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)


class _Checker:
    """Collects field errors with JSON paths, like `evidence[3].occurred_on`."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        if len(self.errors) < 50:
            self.errors.setdefault(path, []).append(message)

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, "Expected an object.")
            return {}
        return value

    def items(self, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if not isinstance(value, list):
            self.add(f"{path}{key}", "Expected a list.")
            return []
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, *, max_length: int) -> None:
        value = parent.get(key)
        if not isinstance(value, str):
            self.add(f"{path}{key}", "Expected text.")
        elif len(value) > max_length:
            self.add(f"{path}{key}", f"Longer than {max_length} characters.")

    def date(self, parent: dict[str, Any], key: str, path: str, *, optional: bool = False) -> None:
        value = parent.get(key)
        if value is None and optional:
            return
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            self.add(f"{path}{key}", "Expected a date (YYYY-MM-DD).")

    def number(
        self, parent: dict[str, Any], key: str, path: str, *, optional: bool = False
    ) -> None:
        value = parent.get(key)
        if value is None and optional:
            return
        try:
            if not Decimal(str(value)).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.add(f"{path}{key}", 'Expected a number written as text, like "2.5".')

    def choice(self, parent: dict[str, Any], key: str, path: str, choices: Iterable[str]) -> None:
        if parent.get(key) not in set(choices):
            self.add(f"{path}{key}", f"Expected one of: {', '.join(sorted(choices))}.")

    def refs(self, parent: dict[str, Any], key: str, path: str) -> None:
        for index, ref in enumerate(self.items(parent, key, path)):
            self.competency(self.obj(ref, f"{path}{key}[{index}]"), f"{path}{key}[{index}].")

    def competency(self, ref: dict[str, Any], path: str) -> None:
        for part in ("framework", "version", "code"):
            self.text(ref, part, path, max_length=60)


def validate_document(document: Any) -> dict[str, Any]:
    """Check the document's shape and version; raise ArchiveInvalidError with field paths."""
    check = _Checker()
    doc = check.obj(document, "document")
    if doc.get("schema") != SCHEMA:
        raise ArchiveInvalidError({"schema": [f"This is not a Continuum portfolio ({SCHEMA})."]})
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise ArchiveInvalidError(
            {
                "schema_version": [
                    f"Version {doc.get('schema_version')!r} of the portfolio format is not "
                    f"supported; this deployment reads version {SCHEMA_VERSION}."
                ]
            }
        )
    profile = check.obj(doc.get("profile"), "profile")
    check.text(profile, "headline", "profile.", max_length=200)
    check.text(profile, "about", "profile.", max_length=4000)
    for i, t in enumerate(check.items(doc, "timeline", "")):
        p = f"timeline[{i}]."
        t = check.obj(t, p[:-1])
        check.text(t, "institution", p, max_length=200)
        check.text(t, "program", p, max_length=200)
        check.choice(t, "stage", p, Program.Stage.values)
        check.text(t, "specialty", p, max_length=120)
        check.text(t, "year_label", p, max_length=40)
        if not isinstance(t.get("training_year"), int) or t.get("training_year", 0) < 1:
            check.add(p + "training_year", "Expected a whole number of at least 1.")
        check.date(t, "start_date", p)
        check.date(t, "end_date", p, optional=True)
    refs_seen: set[str] = set()
    for i, e in enumerate(check.items(doc, "evidence", "")):
        p = f"evidence[{i}]."
        e = check.obj(e, p[:-1])
        ref = e.get("ref")
        if not isinstance(ref, str) or ref in refs_seen:
            check.add(p + "ref", "Expected a unique reference.")
        refs_seen.add(str(ref))
        check.choice(e, "kind", p, Evidence.Kind.values)
        check.text(e, "title", p, max_length=200)
        check.text(e, "body", p, max_length=20000)
        check.date(e, "occurred_on", p)
        check.number(e, "credit_hours", p, optional=True)
        check.text(e, "external_source", p, max_length=200)
        check.text(e, "external_id", p, max_length=300)
        check.refs(e, "competencies", p)
        if e.get("file") is not None:
            f = check.obj(e.get("file"), p + "file")
            check.text(f, "path", p + "file.", max_length=200)
            check.text(f, "name", p + "file.", max_length=255)
            check.choice(f, "content_type", p + "file.", ALLOWED_TYPES)
            check.text(f, "sha256", p + "file.", max_length=64)
    tokens: set[str] = set()

    def self_item(item: Any, p: str) -> None:
        item = check.obj(item, p[:-1])
        check.competency(item, p)
        check.number(item, "level", p)
        check.text(item, "note", p, max_length=2000)
        check.date(item, "assessed_on", p)
        for ref in check.items(item, "evidence", p):
            if ref not in refs_seen:
                check.add(p + "evidence", f"Unknown evidence reference {ref!r}.")

    for i, c in enumerate(check.items(doc, "checkins", "")):
        p = f"checkins[{i}]."
        c = check.obj(c, p[:-1])
        try:
            token = str(uuid.UUID(str(c.get("client_token"))))
        except ValueError:
            check.add(p + "client_token", "Expected a UUID.")
            token = ""
        if token in tokens:
            check.add(p + "client_token", "Each check-in needs its own token.")
        tokens.add(token)
        try:
            dt.datetime.fromisoformat(str(c.get("created_at")))
        except ValueError:
            check.add(p + "created_at", "Expected a date and time (ISO 8601).")
        for j, item in enumerate(check.items(c, "items", p)):
            self_item(item, f"{p}items[{j}].")
    for i, item in enumerate(check.items(doc, "self_assessments", "")):
        self_item(item, f"self_assessments[{i}].")
    for i, g in enumerate(check.items(doc, "goals", "")):
        p = f"goals[{i}]."
        g = check.obj(g, p[:-1])
        check.text(g, "title", p, max_length=200)
        check.text(g, "measure", p, max_length=2000)
        check.text(g, "plan", p, max_length=4000)
        check.date(g, "target_date", p)
        check.choice(g, "status", p, Goal.Status.values)
        check.refs(g, "competencies", p)
        for ref in check.items(g, "evidence", p):
            if ref not in refs_seen:
                check.add(p + "evidence", f"Unknown evidence reference {ref!r}.")
        for j, n in enumerate(check.items(g, "progress_notes", p)):
            n = check.obj(n, f"{p}progress_notes[{j}]")
            check.text(n, "text", f"{p}progress_notes[{j}].", max_length=2000)
            check.date(n, "noted_on", f"{p}progress_notes[{j}].")
    for i, a in enumerate(check.items(doc, "assessments_received", "")):
        p = f"assessments_received[{i}]."
        a = check.obj(a, p[:-1])
        check.competency(a, p)
        check.number(a, "level", p)
        check.date(a, "observed_on", p)
        for key in ("assessor", "went_well", "next_step", "context", "source"):
            check.text(a, key, p, max_length=2000)
    if check.errors:
        raise ArchiveInvalidError(check.errors)
    return doc


@dataclass
class OpenedArchive:
    document: dict[str, Any]
    manifest: dict[str, Any]


def read_archive(handle: Any) -> OpenedArchive:
    """Open an archive and check it completely: the ZIP, the manifest, the version, every
    checksum, the document's shape. Raises ArchiveInvalidError with what is wrong."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveInvalidError({"archive": ["This is not a ZIP archive."]}) from error
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names or DOCUMENT not in names:
            raise ArchiveInvalidError(
                {
                    "archive": [
                        f"The archive lacks {MANIFEST} or {DOCUMENT}: not a portfolio export."
                    ]
                }
            )
        if sum(info.file_size for info in archive.infolist()) > archive_max_bytes():
            raise ArchiveInvalidError({"archive": ["The archive unpacks to more than the limit."]})
        try:
            manifest = json.loads(archive.read(MANIFEST))
            body = archive.read(DOCUMENT)
            document = json.loads(body)
        except (ValueError, zipfile.BadZipFile) as error:
            raise ArchiveInvalidError(
                {"archive": ["The manifest or document is not valid JSON."]}
            ) from error
        if not isinstance(manifest, dict):
            raise ArchiveInvalidError({"manifest": ["Expected an object."]})
        if manifest.get("schema") != SCHEMA:
            raise ArchiveInvalidError(
                {"schema": [f"This is not a Continuum portfolio ({SCHEMA})."]}
            )
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise ArchiveInvalidError(
                {
                    "schema_version": [
                        f"Version {manifest.get('schema_version')!r} of the portfolio format is "
                        f"not supported; this deployment reads version {SCHEMA_VERSION}."
                    ]
                }
            )
        if hashlib.sha256(body).hexdigest() != manifest.get("document_sha256"):
            raise ArchiveInvalidError(
                {
                    "archive": [
                        "The document does not match its checksum: it was changed or damaged."
                    ]
                }
            )
        doc = validate_document(document)
        files = manifest.get("files")
        if not isinstance(files, dict):
            raise ArchiveInvalidError({"manifest": ["The file list is missing."]})
        for index, entry in enumerate(doc["evidence"]):
            if not entry.get("file"):
                continue
            path = entry["file"]["path"]
            if path not in names or path not in files:
                raise ArchiveInvalidError(
                    {f"evidence[{index}].file.path": [f"{path} is missing from the archive."]}
                )
            digest = hashlib.sha256()
            with archive.open(path) as source:
                head = source.read(SNIFF_BYTES)
                digest.update(head)
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    digest.update(chunk)
            if digest.hexdigest() != files[path] or files[path] != entry["file"]["sha256"]:
                raise ArchiveInvalidError(
                    {f"evidence[{index}].file": [f"{path} does not match its checksum."]}
                )
            if detect_content_type(head) != entry["file"]["content_type"]:
                raise ArchiveInvalidError(
                    {f"evidence[{index}].file": [f"{path} is not the type it claims to be."]}
                )
        return OpenedArchive(document=doc, manifest=manifest)


# --- Import ------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    imported: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, key: str, n: int = 1) -> None:
        self.imported[key] = self.imported.get(key, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "unmatched": self.unmatched, "notes": self.notes}


def portfolio_import_start(*, learner: User, upload: UploadedFile) -> PortfolioTransfer:
    """Check an uploaded archive completely, store it and queue the import task.

    A damaged, tampered or wrong-version archive is refused here, before anything is stored.
    """
    if (upload.size or 0) > archive_max_bytes():
        raise ArchiveInvalidError({"archive": ["The archive is larger than the limit."]})
    upload.seek(0)
    read_archive(upload)
    upload.seek(0)
    with transaction.atomic():
        job = PortfolioTransfer.objects.create(
            learner=learner, direction=PortfolioTransfer.Direction.IMPORT, step="Queued"
        )
        job.archive.save(f"{job.public_id.hex}.zip", upload, save=False)
        job.archive_size = upload.size
        job.save(update_fields=["archive", "archive_size"])
        from portfolio.tasks import portfolio_import_task

        transaction.on_commit(lambda: portfolio_import_task.delay(job.pk))
    return job


class _Matcher:
    """Resolves framework references to competencies (two queries for the whole document)."""

    def __init__(self, refs: Iterable[tuple[str, str, str]]) -> None:
        wanted = set(refs)
        codes = {f for f, _, _ in wanted}
        self.frameworks = {(f.code, f.version): f for f in Framework.objects.filter(code__in=codes)}
        self.competencies = {
            (c.framework.code, c.framework.version, c.code): c
            for c in Competency.objects.filter(
                framework__in=list(self.frameworks.values())
            ).select_related("framework")
        }

    def get(self, ref: dict[str, Any]) -> Competency | None:
        return self.competencies.get((ref["framework"], ref["version"], ref["code"]))

    def why(self, ref: dict[str, Any]) -> str:
        if (ref["framework"], ref["version"]) not in self.frameworks:
            return f"framework {ref['framework']} version {ref['version']} is not installed here"
        return f"{ref['code']} is not in {ref['framework']} {ref['version']}"


def _all_refs(doc: dict[str, Any]) -> Iterable[tuple[str, str, str]]:
    for entry in [*doc["evidence"], *doc["goals"]]:
        for ref in entry["competencies"]:
            yield _ref_key(ref)
    for checkin in doc["checkins"]:
        for item in checkin["items"]:
            yield _ref_key(item)
    for item in [*doc["self_assessments"], *doc["assessments_received"]]:
        yield _ref_key(item)


def _import_self_item(
    item: dict[str, Any],
    *,
    learner: User,
    matcher: _Matcher,
    checkin: CheckIn | None,
    token: str | None,
    rows: list[SelfAssessment],
    links: list[tuple[SelfAssessment, list[str]]],
    leftovers: list[ImportedRecord],
    report: ImportReport,
) -> None:
    competency = matcher.get(item)
    if competency is None:
        payload = dict(item)
        if token:
            payload["checkin"] = token
        leftovers.append(
            ImportedRecord(
                learner=learner,
                kind=ImportedRecord.Kind.SELF_ASSESSMENT,
                payload=payload,
                reason=matcher.why(item),
            )
        )
        report.unmatched.append(
            f"Self-assessment of {item['code']} on {item['assessed_on']}: {matcher.why(item)}; "
            "kept as an imported record."
        )
        return
    row = SelfAssessment(
        learner=learner,
        competency=competency,
        level=Decimal(str(item["level"])),
        note=item["note"],
        assessed_on=dt.date.fromisoformat(item["assessed_on"]),
        checkin=checkin,
    )
    rows.append(row)
    links.append((row, list(item["evidence"])))
    report.count("self_assessments")


def _split_refs(
    refs: list[dict[str, Any]], matcher: _Matcher, what: str, report: ImportReport
) -> tuple[list[Competency], list[dict[str, Any]]]:
    matched, unmatched = [], []
    for ref in refs:
        competency = matcher.get(ref)
        if competency is None:
            unmatched.append(
                {"framework": ref["framework"], "version": ref["version"], "code": ref["code"]}
            )
            report.unmatched.append(f"{what}: tag {ref['code']} — {matcher.why(ref)}; kept.")
        else:
            matched.append(competency)
    return matched, unmatched


def _import_records(
    *,
    learner: User,
    doc: dict[str, Any],
    stored_files: dict[str, tuple[str, int]],
    report: ImportReport,
) -> None:
    """Write every record of the document. Runs inside one transaction."""
    matcher = _Matcher(_all_refs(doc))
    profile = doc["profile"]
    if profile["headline"] or profile["about"]:
        LearnerProfile.objects.update_or_create(
            learner=learner, defaults={"headline": profile["headline"], "about": profile["about"]}
        )
    existing_stages = {
        (e.program.name, e.start_date)
        for e in Enrollment.objects.filter(learner=learner).select_related("program")
    } | {(t.program_name, t.start_date) for t in TimelineEntry.objects.filter(learner=learner)}
    stages = []
    for t in doc["timeline"]:
        start = dt.date.fromisoformat(t["start_date"])
        if (t["program"], start) in existing_stages:
            report.notes.append(f"Timeline: {t['program']} from {start} is already here.")
            continue
        stages.append(
            TimelineEntry(
                learner=learner,
                institution_name=t["institution"],
                program_name=t["program"],
                stage=t["stage"],
                specialty=t["specialty"],
                training_year=t["training_year"],
                year_label=t["year_label"],
                start_date=start,
                end_date=dt.date.fromisoformat(t["end_date"]) if t["end_date"] else None,
            )
        )
    TimelineEntry.objects.bulk_create(stages, batch_size=BATCH)
    report.count("timeline", len(stages))

    evidence_by_ref: dict[str, Evidence] = {}
    evidence_tags: list[tuple[Evidence, list[Competency]]] = []
    for e in doc["evidence"]:
        matched, unmatched = _split_refs(
            e["competencies"], matcher, f"Evidence “{e['title']}”", report
        )
        item = Evidence(
            learner=learner,
            kind=e["kind"],
            title=e["title"],
            body=e["body"],
            occurred_on=dt.date.fromisoformat(e["occurred_on"]),
            credit_hours=Decimal(str(e["credit_hours"])) if e["credit_hours"] is not None else None,
            external_source=e["external_source"],
            external_id=e["external_id"],
            unmatched_competencies=unmatched,
        )
        if e["file"]:
            name, size = stored_files[e["file"]["path"]]
            item.file.name = name
            item.file_name = e["file"]["name"]
            item.file_type = e["file"]["content_type"]
            item.file_size = size
            item.file_sha256 = e["file"]["sha256"]
        evidence_by_ref[e["ref"]] = item
        evidence_tags.append((item, matched))
    Evidence.objects.bulk_create(evidence_by_ref.values(), batch_size=BATCH)
    tag_through = Evidence.competencies.through
    tag_through.objects.bulk_create(
        (
            tag_through(evidence_id=item.pk, competency_id=c.pk)
            for item, tags in evidence_tags
            for c in tags
        ),
        batch_size=BATCH,
    )
    report.count("evidence", len(evidence_by_ref))

    rows: list[SelfAssessment] = []
    links: list[tuple[SelfAssessment, list[str]]] = []
    leftovers: list[ImportedRecord] = []
    checkins: list[tuple[CheckIn, dict[str, Any]]] = []
    # A token already used by this learner means the check-in is here (an archive imported
    # twice); used by someone else, the check-in is new here and gets a token of its own.
    owners: dict[str, int] = {
        str(token): owner
        for token, owner in CheckIn.objects.filter(
            client_token__in=[c["client_token"] for c in doc["checkins"]]
        ).values_list("client_token", "learner_id")
    }
    for c in doc["checkins"]:
        token = str(uuid.UUID(c["client_token"]))
        if owners.get(token) == learner.pk:
            report.notes.append(f"Check-in {token} is already here; skipped.")
            continue
        if token in owners:
            report.notes.append(f"Check-in {token} was given a new token (the old one is taken).")
            token = str(uuid.uuid4())
        framework = None
        if c["framework"]:
            framework = matcher.frameworks.get(
                (c["framework"]["framework"], c["framework"]["version"])
            )
        checkins.append((CheckIn(learner=learner, client_token=token, framework=framework), c))
    CheckIn.objects.bulk_create([pair[0] for pair in checkins], batch_size=BATCH)
    for checkin, c in checkins:
        checkin.created_at = dt.datetime.fromisoformat(c["created_at"].replace("Z", "+00:00"))
        for item in c["items"]:
            _import_self_item(
                item,
                learner=learner,
                matcher=matcher,
                checkin=checkin,
                token=str(checkin.client_token),
                rows=rows,
                links=links,
                leftovers=leftovers,
                report=report,
            )
    CheckIn.objects.bulk_update([pair[0] for pair in checkins], ["created_at"], batch_size=BATCH)
    report.count("checkins", len(checkins))
    for item in doc["self_assessments"]:
        _import_self_item(
            item,
            learner=learner,
            matcher=matcher,
            checkin=None,
            token=None,
            rows=rows,
            links=links,
            leftovers=leftovers,
            report=report,
        )
    SelfAssessment.objects.bulk_create(rows, batch_size=BATCH)
    monthly_summaries_refresh(
        learner_id=learner.pk,
        rated_by=MonthlyRatingSummary.RatedBy.SELF,
        competency_ids={row.competency_id for row in rows},
    )
    sa_through = SelfAssessment.evidence.through
    sa_through.objects.bulk_create(
        (
            sa_through(selfassessment_id=row.pk, evidence_id=evidence_by_ref[ref].pk)
            for row, refs in links
            for ref in refs
        ),
        batch_size=BATCH,
    )

    goals: list[tuple[Goal, list[Competency], list[str], list[dict[str, Any]]]] = []
    for g in doc["goals"]:
        matched, unmatched = _split_refs(g["competencies"], matcher, f"Goal “{g['title']}”", report)
        goal = Goal(
            learner=learner,
            title=g["title"],
            measure=g["measure"],
            plan=g["plan"],
            target_date=dt.date.fromisoformat(g["target_date"]),
            status=g["status"],
            unmatched_competencies=unmatched,
        )
        goals.append((goal, matched, g["evidence"], g["progress_notes"]))
    Goal.objects.bulk_create([entry[0] for entry in goals], batch_size=BATCH)
    goal_tags = Goal.competencies.through
    goal_tags.objects.bulk_create(
        (
            goal_tags(goal_id=goal.pk, competency_id=c.pk)
            for goal, tags, _, _ in goals
            for c in tags
        ),
        batch_size=BATCH,
    )
    goal_evidence = Goal.evidence.through
    goal_evidence.objects.bulk_create(
        (
            goal_evidence(goal_id=goal.pk, evidence_id=evidence_by_ref[ref].pk)
            for goal, _, refs, _ in goals
            for ref in refs
        ),
        batch_size=BATCH,
    )
    GoalProgressNote.objects.bulk_create(
        (
            GoalProgressNote(
                goal=goal, text=n["text"], noted_on=dt.date.fromisoformat(n["noted_on"])
            )
            for goal, _, _, notes in goals
            for n in notes
        ),
        batch_size=BATCH,
    )
    report.count("goals", len(goals))

    for a in doc["assessments_received"]:
        leftovers.append(
            ImportedRecord(
                learner=learner,
                kind=ImportedRecord.Kind.ASSESSMENT,
                payload=a,
                reason="A rating by someone at another deployment; kept as it was exported.",
            )
        )
    if doc["assessments_received"]:
        report.notes.append(
            f"{len(doc['assessments_received'])} ratings by others were kept as imported "
            "records: they stay part of your portfolio and its exports."
        )
    ImportedRecord.objects.bulk_create(leftovers, batch_size=BATCH)
    report.count("assessments_received", len(doc["assessments_received"]))


def portfolio_import_run(*, transfer_id: int) -> PortfolioTransfer | None:
    """Import an archive into the learner's portfolio: all of it, or nothing.

    Files are copied to storage first (with visible progress), then every record is written
    in one transaction. If anything fails, the copied files are removed again. Safe to run
    twice: a finished job is left alone.
    """
    job = (
        PortfolioTransfer.objects.select_related("learner")
        .filter(pk=transfer_id, direction=PortfolioTransfer.Direction.IMPORT)
        .first()
    )
    if job is None or job.status in (
        PortfolioTransfer.Status.DONE,
        PortfolioTransfer.Status.FAILED,
    ):
        return job
    PortfolioTransfer.objects.filter(pk=job.pk).update(
        status=PortfolioTransfer.Status.RUNNING, step="Checking the archive"
    )
    stored: dict[str, tuple[str, int]] = {}
    report = ImportReport()
    try:
        with job.archive.open("rb") as handle:
            opened = read_archive(handle)
            doc = opened.document
            handle.seek(0)
            entries = [e for e in doc["evidence"] if e["file"]]
            total = len(entries) + 1
            with zipfile.ZipFile(handle) as archive:
                for index, entry in enumerate(entries, start=1):
                    path = entry["file"]["path"]
                    extension = path.rsplit(".", 1)[-1].lower()
                    with archive.open(path) as source:
                        name = default_storage.save(
                            f"evidence/{job.learner_id}/{uuid.uuid4().hex}.{extension}",
                            File(cast(IO[bytes], source), name=path),
                        )
                        stored[path] = (name, archive.getinfo(path).file_size)
                    if index % PROGRESS_EVERY == 0:
                        _set_progress(job.pk, index, total, "Copying files")
        _set_progress(job.pk, len(entries), total, "Writing records")
        with transaction.atomic():
            _import_records(learner=job.learner, doc=doc, stored_files=stored, report=report)
    except Exception as error:
        for name, _ in stored.values():
            default_storage.delete(name)
        messages: Any = (
            error.message_dict
            if isinstance(error, ValidationError) and hasattr(error, "error_dict")
            else {"archive": [str(error)]}
        )
        PortfolioTransfer.objects.filter(pk=job.pk).update(
            status=PortfolioTransfer.Status.FAILED,
            step="Nothing was imported",
            error="The import failed; nothing was imported.",
            report={"errors": messages},
            finished_at=timezone.now(),
        )
        if isinstance(error, ValidationError):
            return PortfolioTransfer.objects.get(pk=job.pk)
        raise
    PortfolioTransfer.objects.filter(pk=job.pk).update(
        status=PortfolioTransfer.Status.DONE,
        step="Imported",
        done=1,
        total=1,
        report=report.as_dict(),
        finished_at=timezone.now(),
    )
    return PortfolioTransfer.objects.get(pk=job.pk)


def archive_bytes(*, learner: User) -> bytes:
    """The learner's archive in memory (tests and small portfolios)."""
    buffer = io.BytesIO()
    write_archive(learner=learner, target=buffer)
    return buffer.getvalue()


def content_file(data: bytes, name: str) -> ContentFile[bytes]:
    return ContentFile(data, name=name)

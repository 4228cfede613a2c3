"""The portable portfolio: export everything a learner owns as one archive, import it elsewhere.

The archive is a ZIP file:

    manifest.json    schema name and version, SHA-256 of the document and of every file
    portfolio.json   the document (docs/portfolio-export.md describes every field)
    summary.html     a printable summary for people
    files/…          the evidence files

Framework references are `{"framework": code, "version": version, "code": competency code}`
and are matched by code and version on import. What cannot be matched is kept (as an
ImportedRecord or in `unmatched_competencies`), reported, and exported again — nothing is
silently dropped. Items carry identifiers, so importing an archive again adds only what is
not here yet and updates what the archive has newer (`_identities`). Export and import run as
Celery tasks (portfolio/tasks.py) and record their
progress on the PortfolioTransfer row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import tempfile
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import IO, Any, Generic, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Prefetch, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from assessments.models import (
    Assessment,
    AssessmentResponse,
    AssessmentVersion,
    CheckIn,
    MonthlyRatingSummary,
    SelfAssessment,
)
from assessments.services.checkins import checkin_dates_refresh
from assessments.summaries.monthly import monthly_summaries_refresh
from frameworks.models import Competency, Framework
from portfolio.archive import (
    IDENTITY_NAMESPACE,
    Checker,
    ExportContext,
    RestoreContext,
    archive_sections,
    local_id,
    section_refs,
    sections_check,
    sections_export,
    sections_import,
)
from portfolio.counts import evidence_counts_add
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

logger = logging.getLogger(__name__)

SCHEMA = "continuum-portfolio"
# Version 2 adds the sections other apps contribute (portfolio/archive.py) and every version
# of an amended rating; version 1 archives still import (their sections count as empty).
SCHEMA_VERSION = 2
READABLE_VERSIONS = (1, 2)
DOCUMENT = "portfolio.json"
MANIFEST = "manifest.json"
SUMMARY = "summary.html"
PROGRESS_EVERY = 25
BATCH = 500


_M = TypeVar("_M", bound=models.Model)
_V = TypeVar("_V")


def archive_max_bytes() -> int:
    return int(getattr(settings, "PORTFOLIO_ARCHIVE_MAX_BYTES", 1024 * 1024 * 1024))


# The two JSON members are read whole and parsed in memory, so each has a size limit of its
# own, far above a real portfolio's (years of check-ins make a few MB) and low enough that
# parsing stays well within the process's memory budget: a 332 KB archive whose manifest
# unpacked to 304 MB was accepted before and peaked at 707 MB.
MANIFEST_MAX_BYTES = 2 * 1024 * 1024
DOCUMENT_MAX_BYTES = 16 * 1024 * 1024


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, refused when larger than `limit` (as declared, or as read: a header
    may lie), without ever holding more than `limit` + 1 bytes."""
    too_large = ArchiveInvalidError(
        {"archive": [f"{name} unpacks to more than {limit // (1024 * 1024)} MB."]}
    )
    if archive.getinfo(name).file_size > limit:
        raise too_large
    with archive.open(name) as source:
        data = source.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return data


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


def _version_doc(v: AssessmentVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "kind": v.kind,
        "level": _level(v.level),
        "went_well": v.went_well,
        "next_step": v.next_step,
        "context": v.context,
        "observed_on": _date(v.observed_on),
        "reason": v.reason,
        "recorded_by": v.recorded_by.name if v.recorded_by else "",
        "recorded_at": _stamp(v.recorded_at),
    }


def _assessment_doc(a: Assessment, *, history: bool = True) -> dict[str, Any]:
    """A rating by someone else; with `history`, every version of it (an amended one keeps
    its earlier versions) and the learner's responses, as the learner sees them."""
    if not history:
        return _assessment_fields(a)
    return {
        **_assessment_fields(a),
        "answers": {str(k): str(v) for k, v in (a.answers or {}).items()},
        "versions": sorted((_version_doc(v) for v in a.versions.all()), key=lambda v: v["version"]),
        "responses": sorted(
            ({"text": r.text, "created_at": _stamp(r.created_at)} for r in a.responses.all()),
            key=lambda r: (r["created_at"], r["text"]),
        ),
    }


def _assessment_fields(a: Assessment) -> dict[str, Any]:
    return {
        **_ref(a.competency),
        "assessor": a.assessor.name if a.assessor else "",
        "level": _level(a.level),
        # The level is on this scale (a form may rate on another than the framework's).
        "scale": a.scale.code,
        "scale_name": a.scale.name,
        "form": a.form.name,
        "went_well": a.went_well,
        "next_step": a.next_step,
        "context": a.context,
        "observed_on": _date(a.observed_on),
        "source": a.source,
    }


def _enrollment_id(enrollment: Enrollment) -> uuid.UUID:
    """A stage held here has no public_id of its own; its identifier in an archive is derived
    from the row and what names the stage, so exporting twice gives the same one."""
    return uuid.uuid5(
        IDENTITY_NAMESPACE,
        f"enrollment:{enrollment.pk}:{enrollment.program.name}:{enrollment.start_date}",
    )


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
            "id": str(_enrollment_id(e)),
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
            "id": str(t.public_id),
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
                "id": str(e.public_id),
                "updated_at": _stamp(e.updated_at),
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
    for record in ImportedRecord.objects.filter(learner=learner).exclude(
        kind=ImportedRecord.Kind.RECORD
    ):
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
                "id": str(goal.public_id),
                "updated_at": _stamp(goal.updated_at),
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
                        {"id": str(n.public_id), "noted_on": _date(n.noted_on), "text": n.text}
                        for n in goal.progress_notes.all()
                    ),
                    key=lambda n: (n["noted_on"], n["text"]),
                ),
            }
        )
    goals.sort(key=lambda g: (g["target_date"], g["title"], g["measure"], g["status"]))

    assessments = [
        _assessment_doc(a)
        for a in Assessment.objects.filter(learner=learner)
        .select_related("assessor", "competency", "competency__framework", "scale", "form")
        .prefetch_related(
            Prefetch("versions", queryset=AssessmentVersion.objects.select_related("recorded_by")),
            Prefetch("responses", queryset=AssessmentResponse.objects.filter(learner=learner)),
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

    sections = sections_export(ExportContext(learner=learner, evidence_refs=evidence_refs))
    referenced: set[tuple[str, str]] = {
        (r["framework"], r["version"]) for r in section_refs(sections)
    }
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
        **sections,
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


# A job still pending this long after it was written missed its message (the broker was down,
# or the message was lost): the sweeper sends another. A claim this old is a dead worker's.
REQUEUE_AFTER = dt.timedelta(seconds=60)
STALE_CLAIM_AFTER = dt.timedelta(minutes=30)


def transfer_enqueue(job: PortfolioTransfer) -> bool:
    """Hand a job to the broker. Never raises and never waits for a dead broker: the job row
    is already written, and the sweeper sends it again if this message is lost."""
    # Imported here: the tasks module imports this one to run the jobs.
    from portfolio.tasks import portfolio_export_task, portfolio_import_task

    task = (
        portfolio_export_task
        if job.direction == PortfolioTransfer.Direction.EXPORT
        else portfolio_import_task
    )
    try:
        task.apply_async((job.pk,), retry=False)
    except Exception:
        logger.warning("could not queue transfer %s; the sweeper will send it", job.pk)
        return False
    return True


def _claim(transfer_id: int, direction: str, step: str) -> PortfolioTransfer | None:
    """Take a pending job for this worker (pending → running, in one conditional UPDATE):
    however often its message arrives, the job runs once. None when there is nothing to do."""
    taken = PortfolioTransfer.objects.filter(
        pk=transfer_id, direction=direction, status=PortfolioTransfer.Status.PENDING
    ).update(status=PortfolioTransfer.Status.RUNNING, step=step, claimed_at=timezone.now())
    if not taken:
        return None
    return PortfolioTransfer.objects.select_related("learner").get(pk=transfer_id)


def transfers_sweep(*, now: dt.datetime | None = None) -> int:
    """Send again the jobs whose message was lost, and free the claims of dead workers.
    Beat runs it every minute and a worker once at start. Returns the jobs sent."""
    now = now or timezone.now()
    PortfolioTransfer.objects.filter(
        status=PortfolioTransfer.Status.RUNNING, claimed_at__lt=now - STALE_CLAIM_AFTER
    ).update(status=PortfolioTransfer.Status.PENDING, step="Queued again", claimed_at=None)
    waiting = PortfolioTransfer.objects.filter(
        status=PortfolioTransfer.Status.PENDING, created_at__lt=now - REQUEUE_AFTER
    )
    return sum(transfer_enqueue(job) for job in waiting)


def portfolio_export_start(*, learner: User) -> PortfolioTransfer:
    """Queue an export of the learner's portfolio; the task runs after this commits."""
    with transaction.atomic():
        job = PortfolioTransfer.objects.create(
            learner=learner, direction=PortfolioTransfer.Direction.EXPORT, step="Queued"
        )
        transaction.on_commit(partial(transfer_enqueue, job))
    return job


def portfolio_export_run(*, transfer_id: int) -> PortfolioTransfer | None:
    """Build the archive for an export job. Safe to run twice: a finished job is left alone."""
    job = _claim(transfer_id, PortfolioTransfer.Direction.EXPORT, "Collecting records")
    if job is None:
        return None
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


def _check_version(version: Any) -> None:
    """Refuse a format version this deployment cannot read, saying which it reads."""
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        newer = isinstance(version, int) and not isinstance(version, bool) and version > 0
        raise ArchiveInvalidError(
            {
                "schema_version": [
                    f"Version {version!r} of the portfolio format is not supported"
                    + (" (it is newer than this deployment)" if newer else "")
                    + f"; this deployment reads versions 1 to {SCHEMA_VERSION}."
                ]
            }
        )


def validate_document(document: Any) -> dict[str, Any]:
    """Check the document's shape and version; raise ArchiveInvalidError with field paths."""
    check = Checker()
    doc = check.obj(document, "document")
    if doc.get("schema") != SCHEMA:
        raise ArchiveInvalidError({"schema": [f"This is not a Continuum portfolio ({SCHEMA})."]})
    _check_version(doc.get("schema_version"))
    profile = check.obj(doc.get("profile"), "profile")
    check.text(profile, "headline", "profile.", max_length=200)
    check.text(profile, "about", "profile.", max_length=4000)
    ids: dict[str, set[str]] = defaultdict(set)
    for i, t in enumerate(check.items(doc, "timeline", "")):
        p = f"timeline[{i}]."
        t = check.obj(t, p[:-1])
        check.identifier(t, "id", p, ids["timeline"])
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
        check.identifier(e, "id", p, ids["evidence"])
        check.instant(e, "updated_at", p)
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
        check.identifier(g, "id", p, ids["goals"])
        check.instant(g, "updated_at", p)
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
            check.identifier(n, "id", f"{p}progress_notes[{j}].", ids["progress_notes"])
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
        for key in ("scale", "scale_name", "form"):  # absent from archives made before forms
            if key in a:
                check.text(a, key, p, max_length=200)
        _check_history(check, a, p)
    sections_check(check, doc, version=doc["schema_version"], evidence_refs=refs_seen)
    if check.errors:
        raise ArchiveInvalidError(check.errors)
    return doc


def _check_history(check: Checker, a: dict[str, Any], p: str) -> None:
    """A rating's versions, the learner's responses and answers (absent before version 2)."""
    if "answers" in a:
        answers = check.obj(a["answers"], p + "answers")
        for key in answers:
            check.text(answers, key, f"{p}answers.", max_length=4000)
    if "versions" in a:
        for j, v in enumerate(check.items(a, "versions", p)):
            q = f"{p}versions[{j}]."
            v = check.obj(v, q[:-1])
            check.whole(v, "version", q, minimum=1)
            check.choice(v, "kind", q, AssessmentVersion.Kind.values)
            check.number(v, "level", q)
            check.date(v, "observed_on", q)
            check.instant(v, "recorded_at", q, optional=False)
            for key in ("went_well", "next_step", "context", "reason", "recorded_by"):
                check.text(v, key, q, max_length=2000)
    if "responses" in a:
        for j, r in enumerate(check.items(a, "responses", p)):
            q = f"{p}responses[{j}]."
            r = check.obj(r, q[:-1])
            check.text(r, "text", q, max_length=2000)
            check.instant(r, "created_at", q, optional=False)


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
            manifest = json.loads(_read_member(archive, MANIFEST, MANIFEST_MAX_BYTES))
            body = _read_member(archive, DOCUMENT, DOCUMENT_MAX_BYTES)
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
        _check_version(manifest.get("schema_version"))
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


# The report's sections, in the order it names them: key → (one, several).
SECTIONS: dict[str, tuple[str, str]] = {
    "timeline": ("stage of training", "stages of training"),
    "evidence": ("evidence item", "evidence items"),
    "checkins": ("check-in", "check-ins"),
    "self_assessments": ("self-assessment", "self-assessments"),
    "goals": ("goal", "goals"),
    "progress_notes": ("progress note", "progress notes"),
    "assessments_received": ("rating by others", "ratings by others"),
}
ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"


def _counted(counts: dict[str, int]) -> str:
    """`133 evidence items, 1 goal and 2 check-ins`."""
    words = {**SECTIONS, **{s.key: (s.one, s.several) for s in archive_sections()}}
    parts = [
        f"{counts[key]} {one if counts[key] == 1 else several}"
        for key, (one, several) in words.items()
        if counts.get(key)
    ]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


@dataclass
class ImportReport:
    """What an import did with each item of the archive: added, updated (the archive's version
    was newer) or unchanged (already here). `imported` is `added`, under its older name."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, key: str, n: int = 1, *, outcome: str = ADDED) -> None:
        if n:
            counts: dict[str, int] = getattr(self, outcome)
            counts[key] = counts.get(key, 0) + n

    def summary(self) -> str:
        here = _counted(self.unchanged)
        if not self.added and not self.updated:
            return (
                f"Nothing new: {here} already here."
                if here
                else "Nothing new: the archive is empty."
            )
        parts = []
        if self.added:
            parts.append(f"added {_counted(self.added)}")
        if self.updated:
            parts.append(f"updated {_counted(self.updated)} (the archive's version was newer)")
        if here:
            parts.append(f"{here} already here, unchanged")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "imported": self.added,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unmatched": self.unmatched,
            "notes": self.notes,
        }


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
        transaction.on_commit(partial(transfer_enqueue, job))
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
    for ref in section_refs(doc):
        yield _ref_key(ref)


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


def _in_batches(values: Iterable[_V]) -> Iterator[list[_V]]:
    items = list(values)
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _archive_id(entry: dict[str, Any]) -> uuid.UUID | None:
    value = entry.get("id")
    return uuid.UUID(str(value)) if value else None


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


_local_id = local_id


@dataclass
class _Identities(Generic[_M]):
    own: dict[uuid.UUID, _M]  # archive identifier → the learner's item
    new: dict[uuid.UUID, uuid.UUID]  # archive identifier → public_id of the item to add


def _identities(
    mine: QuerySet[_M], *, learner: User, archive_ids: Iterable[uuid.UUID | None]
) -> _Identities[_M]:
    """Match an archive's identifiers with the learner's own items, in batches.

    An identifier matches only an item of `mine` (the learner's): the one holding it, or the
    one holding the identifier derived from it (`_local_id`). An identifier held by someone
    else's item never matches it: the archive's item is added, under the derived identifier,
    and the other item is neither read nor changed.
    """
    ids = {i for i in archive_ids if i is not None}
    derived = {i: _local_id(learner, i) for i in ids}
    taken: set[uuid.UUID] = set()
    for batch in _in_batches(ids | set(derived.values())):
        taken.update(
            mine.model._default_manager.filter(public_id__in=batch).values_list(
                "public_id", flat=True
            )
        )
    rows: dict[uuid.UUID, _M] = {}
    for batch in _in_batches(taken):
        rows.update(mine.in_bulk(batch, field_name="public_id"))
    found = _Identities[_M](own={}, new={})
    for i in ids:
        row = rows.get(i) or rows.get(derived[i])
        if row is not None:
            found.own[i] = row
        elif i not in taken:
            found.new[i] = i
        else:
            found.new[i] = derived[i] if derived[i] not in taken else uuid.uuid4()
    return found


def _evidence_identities(*, learner: User, doc: dict[str, Any]) -> _Identities[Evidence]:
    return _identities(
        Evidence.objects.filter(learner=learner),
        learner=learner,
        archive_ids=(_archive_id(e) for e in doc["evidence"]),
    )


def _archive_stamp(entry: dict[str, Any]) -> dt.datetime | None:
    stamp = entry.get("updated_at")
    return _instant(stamp) if isinstance(stamp, str) else None


def _is_newer(entry: dict[str, Any], row: Evidence | Goal) -> bool:
    """The archive's version is newer than the learner's (an archive without `updated_at`
    never is: its item stays as it is here)."""
    stamp = _archive_stamp(entry)
    return stamp is not None and stamp > row.updated_at


def _is_older(entry: dict[str, Any], row: Evidence | Goal) -> bool:
    stamp = _archive_stamp(entry)
    return stamp is not None and stamp < row.updated_at


def _keeps_file(entry: dict[str, Any], row: Evidence) -> bool:
    return bool(row.file) and row.file_sha256 == entry["file"]["sha256"]


def files_needed(*, doc: dict[str, Any], identities: _Identities[Evidence]) -> set[str]:
    """The archive's files the import stores: those of evidence new here, and of evidence
    updated with another file. Evidence already here with the same file keeps its own."""
    needed = set()
    for e in doc["evidence"]:
        i = _archive_id(e)
        row = identities.own.get(i) if i else None
        if e["file"] and (row is None or (_is_newer(e, row) and not _keeps_file(e, row))):
            needed.add(e["file"]["path"])
    return needed


def _self_key(
    ref: dict[str, str], level: Any, note: str, assessed_on: str | None
) -> tuple[str, ...]:
    return (*_ref_key(ref), _level(Decimal(str(level))), note, str(assessed_on))


def _assessment_key(a: dict[str, Any]) -> tuple[str, ...]:
    return (
        *_ref_key(a),
        _level(Decimal(str(a["level"]))),
        *(str(a.get(k, "")) for k in ("assessor", "went_well", "next_step", "context")),
        *(str(a.get(k, "")) for k in ("observed_on", "source")),
    )


def _records_here(*, learner: User, doc: dict[str, Any]) -> tuple[Counter[Any], Counter[Any]]:
    """Loose self-assessments and ratings by others the learner already has, by content.

    They have no identifier: a rating is never edited, so the same framework reference, level,
    text and date is the same rating. Counted, so that two equal ratings stay two.
    """
    loose: Counter[Any] = Counter()
    received: Counter[Any] = Counter()
    if not doc["self_assessments"] and not doc["assessments_received"]:
        return loose, received
    for record in ImportedRecord.objects.filter(learner=learner).exclude(
        kind=ImportedRecord.Kind.RECORD
    ):
        payload = record.payload
        if record.kind == ImportedRecord.Kind.ASSESSMENT:
            received[_assessment_key(payload)] += 1
        elif not payload.get("checkin"):
            loose[
                _self_key(payload, payload["level"], payload["note"], payload["assessed_on"])
            ] += 1
    if doc["self_assessments"]:
        for sa in SelfAssessment.objects.filter(
            learner=learner, checkin__isnull=True
        ).select_related("competency__framework"):
            loose[_self_key(_ref(sa.competency), sa.level, sa.note, _date(sa.assessed_on))] += 1
    if doc["assessments_received"]:
        for a in Assessment.objects.filter(learner=learner).select_related(
            "assessor", "competency__framework"
        ):
            received[_assessment_key(_assessment_doc(a, history=False))] += 1
    return loose, received


def _older_note(key: str, n: int) -> str:
    if n == 1:
        return f"1 {SECTIONS[key][0]} is newer here than in the archive; kept as it is."
    return f"{n} {SECTIONS[key][1]} are newer here than in the archive; kept as they are."


def _import_records(
    *,
    learner: User,
    doc: dict[str, Any],
    stored_files: dict[str, tuple[str, int]],
    report: ImportReport,
) -> None:
    """Write every record of the document. Runs inside one transaction.

    Items the learner already has (matched by identifier, `_identities`; ratings by content)
    are not added again; an item whose archive version is newer (`updated_at`) is updated.
    """
    matcher = _Matcher(_all_refs(doc))
    profile = doc["profile"]
    if profile["headline"] or profile["about"]:
        LearnerProfile.objects.update_or_create(
            learner=learner, defaults={"headline": profile["headline"], "about": profile["about"]}
        )
    _import_timeline(learner=learner, doc=doc, report=report)
    evidence_by_ref = _import_evidence(
        learner=learner, doc=doc, matcher=matcher, stored_files=stored_files, report=report
    )
    loose_here, received_here = _records_here(learner=learner, doc=doc)

    rows: list[SelfAssessment] = []
    links: list[tuple[SelfAssessment, list[str]]] = []
    leftovers: list[ImportedRecord] = []
    checkins: list[tuple[CheckIn, dict[str, Any]]] = []
    # A token this learner holds (or the one derived from it, `_local_id`) means the check-in
    # is here; held by someone else, the check-in is new here and gets the derived token.
    tokens = [uuid.UUID(c["client_token"]) for c in doc["checkins"]]
    derived = {token: _local_id(learner, token) for token in tokens}
    owners: dict[uuid.UUID, int] = {}
    for batch in _in_batches([*tokens, *derived.values()]):
        owners.update(
            CheckIn.objects.filter(client_token__in=batch).values_list("client_token", "learner_id")
        )
    for token, c in zip(tokens, doc["checkins"], strict=True):
        if learner.pk in (owners.get(token), owners.get(derived[token])):
            report.count("checkins", outcome=UNCHANGED)
            report.count("self_assessments", len(c["items"]), outcome=UNCHANGED)
            continue
        if token in owners:
            report.notes.append(f"Check-in {token} was given a new token (the old one is taken).")
            token = derived[token] if derived[token] not in owners else uuid.uuid4()
        framework = None
        if c["framework"]:
            framework = matcher.frameworks.get(
                (c["framework"]["framework"], c["framework"]["version"])
            )
        checkins.append((CheckIn(learner=learner, client_token=token, framework=framework), c))
    CheckIn.objects.bulk_create([pair[0] for pair in checkins], batch_size=BATCH)
    for checkin, c in checkins:
        checkin.created_at = _instant(c["created_at"])
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
        key = _self_key(item, item["level"], item["note"], item["assessed_on"])
        if loose_here[key]:
            loose_here[key] -= 1
            report.count("self_assessments", outcome=UNCHANGED)
            continue
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
    for ids in _in_batches(checkin.pk for checkin, _ in checkins):
        checkin_dates_refresh(checkin_ids=ids)
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

    _import_goals(
        learner=learner, doc=doc, matcher=matcher, evidence_by_ref=evidence_by_ref, report=report
    )

    received = 0
    for a in doc["assessments_received"]:
        key = _assessment_key(a)
        if received_here[key]:
            received_here[key] -= 1
            report.count("assessments_received", outcome=UNCHANGED)
            continue
        received += 1
        leftovers.append(
            ImportedRecord(
                learner=learner,
                kind=ImportedRecord.Kind.ASSESSMENT,
                payload=a,
                reason="A rating by someone at another deployment; kept as it was exported.",
            )
        )
    if received:
        report.notes.append(
            f"{received} ratings by others were kept as imported records: they stay part of "
            "your portfolio and its exports."
        )
    ImportedRecord.objects.bulk_create(leftovers, batch_size=BATCH)
    report.count("assessments_received", received)

    context = RestoreContext(learner=learner, competency=matcher.get, evidence=evidence_by_ref)
    for outcome in sections_import(context, doc):
        report.count(outcome.key, outcome.added)
        report.count(outcome.key, outcome.unchanged, outcome=UNCHANGED)
        if outcome.kept:
            report.notes.append(
                f"{outcome.kept} {outcome.one if outcome.kept == 1 else outcome.several} "
                "kept as read-only records, as they were exported."
            )
    report.notes.extend(context.notes)


def _import_timeline(*, learner: User, doc: dict[str, Any], report: ImportReport) -> None:
    """Stages of training: one already here (same identifier, or same program and start
    date) is not added twice. Stages have no version to compare: they are never updated."""
    identities = _identities(
        TimelineEntry.objects.filter(learner=learner),
        learner=learner,
        archive_ids=(_archive_id(t) for t in doc["timeline"]),
    )
    existing_stages = {
        (e.program.name, e.start_date)
        for e in Enrollment.objects.filter(learner=learner).select_related("program")
    } | {(t.program_name, t.start_date) for t in TimelineEntry.objects.filter(learner=learner)}
    stages = []
    for t in doc["timeline"]:
        start = dt.date.fromisoformat(t["start_date"])
        i = _archive_id(t)
        if (i and i in identities.own) or (t["program"], start) in existing_stages:
            report.count("timeline", outcome=UNCHANGED)
            continue
        existing_stages.add((t["program"], start))
        stages.append(
            TimelineEntry(
                public_id=identities.new[i] if i else uuid.uuid4(),
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


EVIDENCE_FIELDS = [
    "kind",
    "title",
    "body",
    "occurred_on",
    "credit_hours",
    "external_source",
    "external_id",
    "unmatched_competencies",
    "file",
    "file_name",
    "file_type",
    "file_size",
    "file_sha256",
    "updated_at",
]


def _import_evidence(
    *,
    learner: User,
    doc: dict[str, Any],
    matcher: _Matcher,
    stored_files: dict[str, tuple[str, int]],
    report: ImportReport,
) -> dict[str, Evidence]:
    """Add the evidence new here, update what the archive has a newer version of; return every
    archive reference's row (new or already here) for the links of check-ins and goals."""
    identities = _evidence_identities(learner=learner, doc=doc)
    evidence_by_ref: dict[str, Evidence] = {}
    added: list[Evidence] = []
    updated: list[Evidence] = []
    tags: list[tuple[Evidence, list[Competency]]] = []
    stamps: list[tuple[Evidence, dt.datetime]] = []
    replaced_files: list[str] = []
    counted: Counter[str] = Counter()  # per kind: items added, and updated items moved in
    newer_here = 0
    for e in doc["evidence"]:
        i = _archive_id(e)
        row = identities.own.get(i) if i else None
        if row is not None:
            evidence_by_ref[e["ref"]] = row
            if not _is_newer(e, row):
                report.count("evidence", outcome=UNCHANGED)
                newer_here += _is_older(e, row)
                continue
        matched, unmatched = _split_refs(
            e["competencies"], matcher, f"Evidence “{e['title']}”", report
        )
        item = row if row is not None else Evidence(learner=learner)
        if row is None and i:
            item.public_id = identities.new[i]
        if row is not None:
            counted[row.kind] -= 1
        counted[e["kind"]] += 1
        item.kind = e["kind"]
        item.title = e["title"]
        item.body = e["body"]
        item.occurred_on = dt.date.fromisoformat(e["occurred_on"])
        item.credit_hours = (
            Decimal(str(e["credit_hours"])) if e["credit_hours"] is not None else None
        )
        item.external_source = e["external_source"]
        item.external_id = e["external_id"]
        item.unmatched_competencies = unmatched
        if e["file"] and row is not None and _keeps_file(e, row):
            item.file_name = e["file"]["name"]
        elif e["file"]:
            if e["file"]["path"] not in stored_files:
                raise RuntimeError("The portfolio changed during the import; import it again.")
            if item.file:
                replaced_files.append(item.file.name or "")
            name, size = stored_files[e["file"]["path"]]
            item.file.name = name
            item.file_name = e["file"]["name"]
            item.file_type = e["file"]["content_type"]
            item.file_size = size
            item.file_sha256 = e["file"]["sha256"]
        else:
            if item.file:
                replaced_files.append(item.file.name or "")
            item.file.name = ""
            item.file_name = item.file_type = item.file_sha256 = ""
            item.file_size = None
        if (stamp := _archive_stamp(e)) is not None:
            stamps.append((item, stamp))
        evidence_by_ref[e["ref"]] = item
        tags.append((item, matched))
        (added if row is None else updated).append(item)
    Evidence.objects.bulk_create(added, batch_size=BATCH)
    evidence_counts_add(learner_id=learner.pk, by_kind=counted)
    # The archive's timestamps are kept, so that a newer export is recognised as newer.
    for item, stamp in stamps:
        item.updated_at = stamp
    new_ids = {id(item) for item in added}
    Evidence.objects.bulk_update(
        [*updated, *(item for item, _ in stamps if id(item) in new_ids)],
        EVIDENCE_FIELDS,
        batch_size=BATCH,
    )
    tag_through = Evidence.competencies.through
    if updated:
        tag_through.objects.filter(evidence_id__in=[item.pk for item in updated]).delete()
    tag_through.objects.bulk_create(
        (tag_through(evidence_id=item.pk, competency_id=c.pk) for item, cs in tags for c in cs),
        batch_size=BATCH,
    )
    for name in replaced_files:
        _delete_after_commit(name)
    report.count("evidence", len(added))
    report.count("evidence", len(updated), outcome=UPDATED)
    if newer_here:
        report.notes.append(_older_note("evidence", newer_here))
    return evidence_by_ref


def _delete_after_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


GOAL_FIELDS = [
    "title",
    "measure",
    "plan",
    "target_date",
    "status",
    "unmatched_competencies",
    "updated_at",
]


def _import_goals(
    *,
    learner: User,
    doc: dict[str, Any],
    matcher: _Matcher,
    evidence_by_ref: dict[str, Evidence],
    report: ImportReport,
) -> None:
    """Add the goals new here, update those the archive has newer; add the progress notes not
    here yet (notes are never edited: one with a known identifier, or on a goal already here
    the same date and text, is here)."""
    identities = _identities(
        Goal.objects.filter(learner=learner),
        learner=learner,
        archive_ids=(_archive_id(g) for g in doc["goals"]),
    )
    note_identities = _identities(
        GoalProgressNote.objects.filter(goal__learner=learner),
        learner=learner,
        archive_ids=(_archive_id(n) for g in doc["goals"] for n in g["progress_notes"]),
    )
    notes_here: Counter[tuple[int, dt.date, str]] = Counter()
    matched_goals = [goal.pk for goal in identities.own.values()]
    for batch in _in_batches(matched_goals):
        notes_here.update(
            GoalProgressNote.objects.filter(goal_id__in=batch).values_list(
                "goal_id", "noted_on", "text"
            )
        )
    added: list[Goal] = []
    updated: list[Goal] = []
    links: list[tuple[Goal, list[Competency], list[str]]] = []
    stamps: list[tuple[Goal, dt.datetime]] = []
    notes: list[tuple[Goal, dict[str, Any]]] = []
    newer_here = 0
    for g in doc["goals"]:
        i = _archive_id(g)
        row = identities.own.get(i) if i else None
        if row is not None and not _is_newer(g, row):
            report.count("goals", outcome=UNCHANGED)
            newer_here += _is_older(g, row)
            goal = row
        else:
            matched, unmatched = _split_refs(
                g["competencies"], matcher, f"Goal “{g['title']}”", report
            )
            goal = row if row is not None else Goal(learner=learner)
            if row is None and i:
                goal.public_id = identities.new[i]
            goal.title = g["title"]
            goal.measure = g["measure"]
            goal.plan = g["plan"]
            goal.target_date = dt.date.fromisoformat(g["target_date"])
            goal.status = g["status"]
            goal.unmatched_competencies = unmatched
            if (stamp := _archive_stamp(g)) is not None:
                stamps.append((goal, stamp))
            links.append((goal, matched, g["evidence"]))
            (added if row is None else updated).append(goal)
        for n in g["progress_notes"]:
            note_id = _archive_id(n)
            key = (goal.pk, dt.date.fromisoformat(n["noted_on"]), n["text"])
            if note_id in note_identities.own:
                report.count("progress_notes", outcome=UNCHANGED)
            elif row is not None and notes_here[key]:
                notes_here[key] -= 1
                report.count("progress_notes", outcome=UNCHANGED)
            else:
                notes.append((goal, n))
    Goal.objects.bulk_create(added, batch_size=BATCH)
    for goal, stamp in stamps:
        goal.updated_at = stamp
    new_ids = {id(goal) for goal in added}
    Goal.objects.bulk_update(
        [*updated, *(goal for goal, _ in stamps if id(goal) in new_ids)],
        GOAL_FIELDS,
        batch_size=BATCH,
    )
    goal_tags = Goal.competencies.through
    goal_evidence = Goal.evidence.through
    if updated:
        goal_tags.objects.filter(goal_id__in=[goal.pk for goal in updated]).delete()
        goal_evidence.objects.filter(goal_id__in=[goal.pk for goal in updated]).delete()
    goal_tags.objects.bulk_create(
        (goal_tags(goal_id=goal.pk, competency_id=c.pk) for goal, cs, _ in links for c in cs),
        batch_size=BATCH,
    )
    goal_evidence.objects.bulk_create(
        (
            goal_evidence(goal_id=goal.pk, evidence_id=evidence_by_ref[ref].pk)
            for goal, _, refs in links
            for ref in refs
        ),
        batch_size=BATCH,
    )
    new_notes = []
    for goal, n in notes:
        note_id = _archive_id(n)
        new_notes.append(
            GoalProgressNote(
                public_id=note_identities.new[note_id] if note_id else uuid.uuid4(),
                goal=goal,
                text=n["text"],
                noted_on=dt.date.fromisoformat(n["noted_on"]),
            )
        )
    GoalProgressNote.objects.bulk_create(new_notes, batch_size=BATCH)
    report.count("goals", len(added))
    report.count("goals", len(updated), outcome=UPDATED)
    report.count("progress_notes", len(new_notes))
    if newer_here:
        report.notes.append(_older_note("goals", newer_here))


def portfolio_import_run(*, transfer_id: int) -> PortfolioTransfer | None:
    """Import an archive into the learner's portfolio: all of it, or nothing.

    Files are copied to storage first (with visible progress), then every record is written
    in one transaction. If anything fails, the copied files are removed again. Safe to run
    twice: a finished job is left alone.
    """
    job = _claim(transfer_id, PortfolioTransfer.Direction.IMPORT, "Checking the archive")
    if job is None:
        return None
    stored: dict[str, tuple[str, int]] = {}
    report = ImportReport()
    try:
        with job.archive.open("rb") as handle:
            opened = read_archive(handle)
            doc = opened.document
            handle.seek(0)
            needed = files_needed(
                doc=doc, identities=_evidence_identities(learner=job.learner, doc=doc)
            )
            entries = [e for e in doc["evidence"] if e["file"] and e["file"]["path"] in needed]
            total = len(entries) + 1
            with zipfile.ZipFile(handle) as archive:
                for index, entry in enumerate(entries, start=1):
                    path = entry["file"]["path"]
                    extension = path.rsplit(".", 1)[-1].lower()
                    # Named by job and member: a run that follows a worker killed while
                    # copying overwrites that run's copies instead of leaving them behind.
                    target = (
                        f"evidence/{job.learner_id}/{uuid.uuid5(job.public_id, path).hex}"
                        f".{extension}"
                    )
                    default_storage.delete(target)
                    with archive.open(path) as source:
                        name = default_storage.save(
                            target, File(cast(IO[bytes], source), name=path)
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

"""Framework writes: importing a framework version (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction

from audit.services import audit_record
from frameworks import exporters, importers
from frameworks.importers import (
    CompetencyData,
    Format,
    FrameworkData,
    FrameworkImportError,
    ScaleData,
)
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel

if TYPE_CHECKING:
    from accounts.models import User

SHIPPED_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class FrameworkImportResult:
    framework: Framework
    created: bool
    message: str


def framework_import(
    *,
    file: IO[bytes],
    fmt: Format | None = None,
    filename: str = "",
    size: int | None = None,
    by: User | None = None,
) -> FrameworkImportResult:
    """Import one framework version from a JSON or CSV file, all or nothing.

    Rules: the file is refused unread when over settings.FRAMEWORK_IMPORT_MAX_BYTES; the same
    code and version with the same content is a no-op, with other content it is refused (a
    changed framework is a new version); a new version is added beside the old ones, which are
    never touched, so ratings keep pointing at their version. Bad input raises
    FrameworkImportError (one message naming the place and field) and writes nothing.
    """
    data = importers.load(
        file,
        fmt=fmt or importers.guess_format(filename),
        limit=settings.FRAMEWORK_IMPORT_MAX_BYTES,
        size=size,
    )
    try:
        with transaction.atomic():
            result = _write(data)
            if result.created:
                audit_record(
                    actor=by,
                    action="framework.import",
                    target=result.framework,
                    after={"code": data.code, "version": data.version, "file": filename},
                )
            return result
    except IntegrityError:
        # Only reachable when another import of the same framework or scale commits between
        # our checks and our insert.
        raise FrameworkImportError(
            f"{data.code} {data.version} was being imported by someone else at the same time; "
            "import it again to see the outcome",
            where=importers.NOWHERE,
        ) from None


def frameworks_load_shipped() -> list[tuple[Path, FrameworkImportResult]]:
    """Import every framework file shipped in frameworks/data/ (idempotent: files already
    imported are reported unchanged). Each file is its own all-or-nothing import."""
    results = []
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        with path.open("rb") as file:
            try:
                result = framework_import(file=file, fmt="json")
            except FrameworkImportError as exc:
                raise FrameworkImportError(f"{path.name}: {exc}") from exc
        results.append((path, result))
    return results


def _write(data: FrameworkData) -> FrameworkImportResult:
    scale = _scale_resolve(data)
    existing = Framework.objects.with_tree().filter(code=data.code, version=data.version).first()
    if existing is not None:
        difference = _first_difference(exporters.framework_data(existing), data)
        if difference is None:
            return FrameworkImportResult(
                framework=existing,
                created=False,
                message=f"{data.code} {data.version}: already present, unchanged.",
            )
        raise FrameworkImportError(
            f"{data.code} {data.version} is already present with different content "
            f"({difference}); a changed framework needs a new version",
            where=importers.NOWHERE,
        )
    if scale is None:
        assert data.scale is not None  # _scale_resolve raised otherwise
        scale = RatingScale.objects.create(
            code=data.scale.code, name=data.scale.name, kind=data.scale.kind
        )
        ScaleLevel.objects.bulk_create(
            ScaleLevel(scale=scale, value=level.value, label=level.label, anchor=level.anchor)
            for level in data.scale.levels
        )
    framework = Framework.objects.create(
        code=data.code,
        version=data.version,
        name=data.name,
        kind=data.kind,
        effective_date=data.effective_date,
        source=data.source,
        source_url=data.source_url,
        licence_note=data.licence_note,
        scale=scale,
    )
    order = {competency.code: number for number, competency in enumerate(data.competencies)}

    def node(competency: CompetencyData, parent: Competency | None) -> Competency:
        return Competency(
            framework=framework,
            parent=parent,
            code=competency.code,
            title=competency.title,
            description=competency.description,
            order=order[competency.code],
        )

    # Two inserts: domains first, so their keys exist when the items that point at them go in.
    top = Competency.objects.bulk_create(node(c, None) for c in data.competencies if not c.parent)
    by_code = {competency.code: competency for competency in top}
    items = Competency.objects.bulk_create(
        node(c, by_code[c.parent]) for c in data.competencies if c.parent
    )
    by_code.update((competency.code, competency) for competency in items)
    LevelDescriptor.objects.bulk_create(
        LevelDescriptor(competency=by_code[c.code], level=d.level, text=d.text)
        for c in data.competencies
        for d in c.descriptors
    )
    return FrameworkImportResult(framework=framework, created=True, message=_summary(data))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _summary(data: FrameworkData) -> str:
    parts = [_plural(len(data.ratable()), "ratable item")]
    if data.domains():
        parts.insert(0, _plural(len(data.domains()), "domain"))
    parts.append(_plural(sum(len(c.descriptors) for c in data.competencies), "level descriptor"))
    return f"{data.code} {data.version}: imported ({', '.join(parts)})."


def _scale_resolve(data: FrameworkData) -> RatingScale | None:
    """The stored scale the file names, checked against the file; None if it is new.

    A scale defined in the file must match a stored scale of the same code exactly; a scale
    named only by code must already be stored."""
    stored = RatingScale.objects.prefetch_related("levels").filter(code=data.scale_code).first()
    if stored is None:
        if data.scale is None:
            known = ", ".join(RatingScale.objects.values_list("code", flat=True)) or "none yet"
            raise FrameworkImportError(
                f'unknown scale "{data.scale_code}"; define it in the file or use a known '
                f"scale ({known})",
                where=data.scale_where,
                field=data.scale_field,
            )
        return None
    stored_data = exporters.scale_data(stored)
    if data.scale is not None and data.scale != stored_data:
        raise FrameworkImportError(
            f'a scale "{data.scale_code}" already exists with other levels or labels '
            f"({_scale_difference(stored_data, data.scale)}); give this scale another code or "
            "make it match",
            where=data.scale_where,
            field=data.scale_field,
        )
    importers.check_levels(data, stored_data)
    return stored


def _scale_difference(stored: ScaleData, incoming: ScaleData) -> str:
    if stored.name != incoming.name:
        return f'stored name "{stored.name}"'
    if stored.kind != incoming.kind:
        return f'stored kind "{stored.kind}"'
    if stored.values() != incoming.values():
        shown = ", ".join(importers.format_level(value) for value in stored.values())
        return f"stored levels {shown}"
    for old, new in zip(stored.levels, incoming.levels, strict=True):
        if old != new:
            return f"level {importers.format_level(old.value)} differs"
    return "differs"


def _first_difference(stored: FrameworkData, incoming: FrameworkData) -> str | None:
    """Name the first thing that differs, so the person importing can find it."""
    if stored == incoming:
        return None
    for name in (
        "name",
        "kind",
        "effective_date",
        "source",
        "source_url",
        "licence_note",
        "scale_code",
    ):
        if getattr(stored, name) != getattr(incoming, name):
            return f"{name} differs"
    old = {c.code: c for c in stored.competencies}
    new = {c.code: c for c in incoming.competencies}
    if old.keys() != new.keys():
        added = sorted(new.keys() - old.keys())
        removed = sorted(old.keys() - new.keys())
        if added:
            return f"adds {', '.join(added)}"
        return f"removes {', '.join(removed)}"
    for code, competency in new.items():
        if competency != old[code]:
            return f"{code} differs"
    return "the order of competencies differs"

"""Framework writes: importing a framework version (all or nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction

from audit.services import audit_record
from frameworks import exporters, identifiers, importers
from frameworks.importers import (
    CompetencyData,
    Format,
    FrameworkData,
    FrameworkImportError,
    ScaleData,
)
from frameworks.models import (
    Competency,
    CompetencyLink,
    Framework,
    LevelDescriptor,
    RatingScale,
    ScaleLevel,
)

if TYPE_CHECKING:
    from accounts.models import User

SHIPPED_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class FrameworkImportResult:
    framework: Framework
    created: bool
    message: str
    # Deviations the importer accepted (CASE, MedBiquitous), each naming the item.
    warnings: tuple[str, ...] = field(default=())


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
    return framework_data_import(data=data, filename=filename, by=by)


def framework_data_import(
    *, data: FrameworkData, filename: str = "", by: User | None = None
) -> FrameworkImportResult:
    """Write a framework version read by any importer (see `framework_import`)."""
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
        uuid=_document_uuid(data),
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
    uuids = _item_uuids(data)

    def node(competency: CompetencyData, parent: Competency | None) -> Competency:
        item = uuids[competency.code]
        return Competency(
            framework=framework,
            parent=parent,
            code=competency.code,
            title=competency.title,
            description=competency.description,
            order=order[competency.code],
            uuid=item,
            child_of_uuid=competency.child_of_uuid
            or identifiers.child_of_uuid(
                item, uuids[competency.parent] if competency.parent else data.code
            ),
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
    warnings = list(data.warnings)
    warnings.extend(_links_write(data, by_code.values()))
    return FrameworkImportResult(
        framework=framework, created=True, message=_summary(data), warnings=tuple(warnings)
    )


def _document_uuid(data: FrameworkData) -> uuid.UUID:
    """The package's CFDocument identifier if no stored version has it, else our own."""
    if data.uuid is not None and not Framework.objects.filter(uuid=data.uuid).exists():
        return data.uuid
    return identifiers.document_uuid(data.code, data.version)


def _item_uuids(data: FrameworkData) -> dict[str, uuid.UUID]:
    """Each item's CASE identifier: the package's, else the one the same item (same code and
    title) has in the latest earlier version of this framework, else derived from both."""
    earlier = {
        (code, title): item
        for code, title, item in Competency.objects.filter(framework__code=data.code)
        .order_by("framework__imported_at", "framework_id")
        .values_list("code", "title", "uuid")
    }
    return {
        c.code: c.uuid
        or earlier.get((c.code, c.title))
        or identifiers.item_uuid(data.code, c.code, c.title)
        for c in data.competencies
    }


def _links_write(data: FrameworkData, written: Iterable[Competency]) -> list[str]:
    """Keep a package's links between items where both ends are known (in this package, or
    stored); warn for the others."""
    if not data.links:
        return []
    here = {competency.uuid: competency for competency in written}
    wanted = {link.origin for link in data.links} | {link.destination for link in data.links}
    stored: dict[uuid.UUID, Competency] = {}
    for competency in Competency.objects.filter(uuid__in=wanted - here.keys()).order_by(
        "framework__imported_at", "pk"
    ):
        stored[competency.uuid] = competency  # the latest version wins
    known = {**stored, **here}
    warnings = []
    rows = []
    for link in data.links:
        origin, destination = known.get(link.origin), known.get(link.destination)
        if origin is None or destination is None or origin == destination:
            warnings.append(
                f"{link.where.at()}: links an item that is neither in this package nor stored "
                "here; not kept"
            )
            continue
        rows.append(
            CompetencyLink(
                origin=origin,
                destination=destination,
                kind=link.kind,
                uuid=link.uuid
                if not CompetencyLink.objects.filter(uuid=link.uuid).exists()
                else uuid.uuid4(),
            )
        )
    CompetencyLink.objects.bulk_create(rows, ignore_conflicts=True)
    return warnings


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


def framework_publish(*, framework: Framework, public: bool, by: User | None = None) -> Framework:
    """Serve a version through the CASE REST API to anyone (public) or with a token only."""
    with transaction.atomic():
        if framework.public != public:
            Framework.objects.filter(pk=framework.pk).update(public=public)
            audit_record(
                actor=by,
                action="framework.publish" if public else "framework.unpublish",
                target=framework,
                before={"public": framework.public},
                after={"public": public},
            )
            framework.public = public
    return framework


class CompetencyLinkError(ValueError):
    """A link that cannot be made; the message says why."""


def competency_link_create(
    *, origin: Competency, destination: Competency, kind: str, by: User | None = None
) -> tuple[CompetencyLink, bool]:
    """Link an item to an item of another framework (idempotent: the same link again returns
    the stored one, created False)."""
    if origin.framework_id == destination.framework_id:
        raise CompetencyLinkError(
            "both items are in the same framework version; link items of two different frameworks"
        )
    if kind not in CompetencyLink.Kind.values:
        raise CompetencyLinkError(
            f'"{kind}" is not a link type; use one of {", ".join(CompetencyLink.Kind.values)}'
        )
    with transaction.atomic():
        link, created = CompetencyLink.objects.get_or_create(
            origin=origin, destination=destination, kind=kind
        )
        if created:
            audit_record(
                actor=by,
                action="framework.link",
                target=link,
                after={
                    "origin": str(origin.uuid),
                    "destination": str(destination.uuid),
                    "kind": kind,
                },
            )
    return link, created


def competency_link_delete(*, link: CompetencyLink, by: User | None = None) -> None:
    with transaction.atomic():
        audit_record(
            actor=by,
            action="framework.unlink",
            target=link,
            before={
                "origin": str(link.origin.uuid),
                "destination": str(link.destination.uuid),
                "kind": link.kind,
            },
        )
        link.delete()

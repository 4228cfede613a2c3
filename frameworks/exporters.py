"""Write framework versions out in our JSON schema or CSV layout (the importers read them back).

Output is canonical: the same framework always gives the same bytes, and importing an export
reproduces the framework exactly. The shipped files in frameworks/data/ are in this form.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

from core import csv as safe_csv
from frameworks.importers import (
    CSV_COLUMNS,
    FORMAT_ID,
    FORMAT_VERSION,
    CompetencyData,
    DescriptorData,
    Format,
    FrameworkData,
    ScaleData,
    ScaleLevelData,
)
from frameworks.models import Framework, RatingScale

CONTENT_TYPES: dict[Format, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "case": "application/json",
    "medbiq": "application/xml",
}
EXTENSIONS: dict[Format, str] = {
    "json": "json",
    "csv": "csv",
    "case": "case.json",
    "medbiq": "medbiq.xml",
}


def scale_data(scale: RatingScale) -> ScaleData:
    """A scale as data; uses `scale.levels` (prefetch it)."""
    return ScaleData(
        code=scale.code,
        name=scale.name,
        kind=scale.kind,
        levels=tuple(
            ScaleLevelData(value=level.value, label=level.label, anchor=level.anchor)
            for level in sorted(scale.levels.all(), key=lambda level: level.value)
        ),
    )


def framework_data(framework: Framework) -> FrameworkData:
    """A stored framework version as data, in the order the importer would produce.

    Expects `Framework.objects.with_tree()` so the tree comes from the prefetch cache."""
    nodes = sorted(framework.competencies.all(), key=lambda c: (c.order, c.pk))
    codes = {node.pk: node.code for node in nodes}
    children: dict[int, list[Any]] = {}
    for node in nodes:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node)
    ordered = []
    for node in nodes:
        if node.parent_id is None:
            ordered.append(node)
            ordered.extend(children.get(node.pk, []))
    return FrameworkData(
        code=framework.code,
        version=framework.version,
        name=framework.name,
        kind=framework.kind,
        effective_date=framework.effective_date,
        source=framework.source,
        source_url=framework.source_url,
        licence_note=framework.licence_note,
        scale_code=framework.scale.code,
        scale=scale_data(framework.scale),
        competencies=tuple(
            CompetencyData(
                code=node.code,
                title=node.title,
                description=node.description,
                parent=codes.get(node.parent_id) if node.parent_id is not None else None,
                descriptors=tuple(
                    DescriptorData(level=d.level, text=d.text)
                    for d in sorted(node.descriptors.all(), key=lambda d: d.level)
                ),
            )
            for node in ordered
        ),
    )


def _number(value: Decimal) -> int | float:
    # Levels have at most one decimal place, which a float holds exactly (1.5, 2.5 …).
    return int(value) if value == value.to_integral_value() else float(value)


def _text_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _competency_json(competency: CompetencyData) -> dict[str, Any]:
    out: dict[str, Any] = {"code": competency.code, "title": competency.title}
    if competency.description:
        out["description"] = competency.description
    if competency.descriptors:
        out["descriptors"] = [
            {"level": _number(d.level), "text": d.text} for d in competency.descriptors
        ]
    return out


def _scale_json(scale: ScaleData) -> dict[str, Any]:
    levels = []
    for level in scale.levels:
        entry: dict[str, Any] = {"value": _number(level.value), "label": level.label}
        if level.anchor:
            entry["anchor"] = level.anchor
        levels.append(entry)
    return {"code": scale.code, "name": scale.name, "kind": scale.kind, "levels": levels}


def dump_json(data: FrameworkData) -> str:
    """The framework in our JSON schema (scale written out in full, so the file stands alone)."""
    competencies: list[dict[str, Any]] = []
    for competency in data.competencies:
        if competency.parent is None:
            competencies.append(_competency_json(competency))
        else:
            competencies[-1].setdefault("children", []).append(_competency_json(competency))
    doc = {
        "format": FORMAT_ID,
        "format_version": FORMAT_VERSION,
        "code": data.code,
        "version": data.version,
        "name": data.name,
        "kind": data.kind,
        "effective_date": data.effective_date.isoformat() if data.effective_date else None,
        "source": data.source,
        "source_url": data.source_url,
        "licence_note": data.licence_note,
        "scale": _scale_json(data.scale) if data.scale is not None else data.scale_code,
        "competencies": competencies,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def dump_csv(data: FrameworkData) -> str:
    """The framework in our CSV layout: meta rows, scale levels, then each competency and its
    levels, depth-first."""
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def row(record: str, **cells: str) -> None:
        writer.writerow([record, *(cells.get(column, "") for column in CSV_COLUMNS[1:])])

    meta = {
        "code": data.code,
        "version": data.version,
        "name": data.name,
        "kind": data.kind,
        "effective_date": data.effective_date.isoformat() if data.effective_date else "",
        "source": data.source,
        "source_url": data.source_url,
        "licence_note": data.licence_note,
        "scale": data.scale_code,
    }
    if data.scale is not None:
        meta["scale_name"] = data.scale.name
        meta["scale_kind"] = data.scale.kind
    for key, value in meta.items():
        row("meta", code=key, text=value)
    for level in data.scale.levels if data.scale is not None else ():
        row("scale-level", level=_text_number(level.value), title=level.label, text=level.anchor)
    for competency in data.competencies:
        row(
            "competency",
            code=competency.code,
            parent=competency.parent or "",
            title=competency.title,
            text=competency.description,
        )
        for descriptor in competency.descriptors:
            row(
                "level",
                code=competency.code,
                level=_text_number(descriptor.level),
                text=descriptor.text,
            )
    return buffer.getvalue()


def dump(data: FrameworkData, fmt: Format) -> str:
    """Our own formats, from data alone (CASE and MedBiquitous need the stored version: see
    `export_file`)."""
    if fmt not in ("json", "csv"):
        raise ValueError(f"{fmt} needs the stored framework; use export_file")
    return dump_json(data) if fmt == "json" else dump_csv(data)


def export_file(framework: Framework, fmt: Format, *, case_base: str) -> bytes:
    """A stored version in any format. Expects `Framework.objects.with_tree()`; `case_base` is
    the absolute address of the CASE API (`https://host/ims/case/v1p0/`), which CASE
    identifiers' `uri`s point into."""
    # The interchange modules build on the importers, as this one does.
    from frameworks import case, medbiq
    from frameworks.selectors import framework_links_from

    if fmt == "case":
        links = list(framework_links_from(framework=framework))
        return case.dump(framework, case.Uris(case_base), links).encode()
    if fmt == "medbiq":
        return medbiq.dump(framework)
    return dump(framework_data(framework), fmt).encode()


def export_filename(framework: Framework, fmt: Format) -> str:
    return f"{framework.code}-{framework.version}.{EXTENSIONS[fmt]}"

"""Factories and file builders for the frameworks tests (base factories live in tests/)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel
from tests.factories import (
    CompetencyFactory,
    FrameworkFactory,
    LevelDescriptorFactory,
    RatingScaleFactory,
)

__all__ = [
    "CSV_TEXT",
    "CompetencyFactory",
    "FrameworkFactory",
    "LevelDescriptorFactory",
    "RatingScaleFactory",
    "as_bytes",
    "csv_with",
    "framework_tree",
    "minimal_doc",
    "row_counts",
]


def framework_tree(*, domains: int, items: int, levels: int = 5, **fields: Any) -> Framework:
    """A stored framework with `domains` domains of `items` items, each with `levels` descriptors."""
    framework = FrameworkFactory(**fields)
    order = 0
    for d in range(domains):
        domain = CompetencyFactory(
            framework=framework, code=f"D{d}", title=f"Domain {d}", order=order
        )
        order += 1
        for i in range(items):
            item = CompetencyFactory(
                framework=framework,
                parent=domain,
                code=f"D{d}.{i}",
                title=f"Item {d}.{i}",
                order=order,
            )
            order += 1
            LevelDescriptor.objects.bulk_create(
                LevelDescriptor(competency=item, level=Decimal(n), text=f"Level {n} of {item.code}")
                for n in range(1, levels + 1)
            )
    return framework


def row_counts() -> dict[str, int]:
    """Rows in every frameworks table: compared before and after a refused import."""
    return {
        model.__name__: model.objects.count()
        for model in (RatingScale, ScaleLevel, Framework, Competency, LevelDescriptor)
    }


SCALE = {
    "code": "three-step",
    "name": "Three steps",
    "kind": "milestone",
    "levels": [
        {"value": 1, "label": "Starting"},
        {"value": 2, "label": "Growing", "anchor": "Does it with help."},
        {"value": 3, "label": "Ready"},
    ],
}

DOC: dict[str, Any] = {
    "format": "continuum-framework",
    "format_version": 1,
    "code": "tiny",
    "version": "1.0",
    "name": "Tiny framework",
    "kind": "milestones",
    "effective_date": "2024-07-01",
    "source": "Test suite",
    "source_url": "https://example.org/tiny",
    "licence_note": "Made up for tests.",
    "scale": SCALE,
    "competencies": [
        {
            "code": "A",
            "title": "Domain A",
            "children": [
                {
                    "code": "A1",
                    "title": "First item",
                    "description": "The first thing.",
                    "descriptors": [
                        {"level": 1, "text": "Begins."},
                        {"level": 3, "text": "Finishes."},
                    ],
                },
                {"code": "A2", "title": "Second item"},
            ],
        },
        {
            "code": "B",
            "title": "Standalone item",
            "descriptors": [{"level": 2, "text": "Half way."}],
        },
    ],
}


def minimal_doc(**changes: Any) -> dict[str, Any]:
    """A valid framework document (deep copy), with top-level keys replaced by `changes`."""
    doc = copy.deepcopy(DOC)
    doc.update(changes)
    return doc


def as_bytes(doc: Any) -> bytes:
    return json.dumps(doc, indent=2, ensure_ascii=False).encode()


# The same framework as DOC in the CSV layout; the line numbers are used by the tests.
CSV_TEXT = """\
record,code,parent,title,level,text
meta,code,,,,tiny
meta,version,,,,1.0
meta,name,,,,Tiny framework
meta,kind,,,,milestones
meta,effective_date,,,,2024-07-01
meta,source,,,,Test suite
meta,source_url,,,,https://example.org/tiny
meta,licence_note,,,,Made up for tests.
meta,scale,,,,three-step
meta,scale_name,,,,Three steps
meta,scale_kind,,,,milestone
scale-level,,,Starting,1,
scale-level,,,Growing,2,Does it with help.
scale-level,,,Ready,3,
competency,A,,Domain A,,
competency,A1,A,First item,,The first thing.
level,A1,,,1,Begins.
level,A1,,,3,Finishes.
competency,A2,A,Second item,,
competency,B,,Standalone item,,
level,B,,,2,Half way.
"""


def csv_with(replacements: dict[int, str] | None = None, *, drop: tuple[int, ...] = ()) -> bytes:
    """CSV_TEXT with whole lines (1-based) replaced or dropped."""
    lines = CSV_TEXT.splitlines()
    for number, text in (replacements or {}).items():
        lines[number - 1] = text
    kept = [line for number, line in enumerate(lines, start=1) if number not in drop]
    return ("\n".join(kept) + "\n").encode()

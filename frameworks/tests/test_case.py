"""CASE 1.0 packages: export, import, round trip, identifiers, OpenSALT's packages, bad input."""

from __future__ import annotations

import copy
import io
import json
import uuid
from typing import Any

import pytest

from frameworks import case, exporters, identifiers, importers
from frameworks.importers import FrameworkImportError
from frameworks.models import Competency, CompetencyLink, Framework
from frameworks.services import (
    competency_link_create,
    framework_import,
    frameworks_load_shipped,
)
from frameworks.tests.factories import row_counts
from frameworks.tests.interop import (
    errors,
    package_names,
    package_validator,
    require_case_dir,
)

pytestmark = pytest.mark.django_db

URIS = case.Uris("https://continuum.example/ims/case/v1p0/")
SHIPPED = ["acgme-harmonized", "im-milestones", "aamc-core-epas"]


@pytest.fixture
def shipped(db) -> dict[str, Framework]:
    frameworks_load_shipped()
    return {f.code: f for f in Framework.objects.with_tree()}


def stored(code: str, version: str | None = None) -> Framework:
    frameworks = Framework.objects.with_tree().filter(code=code)
    if version:
        frameworks = frameworks.filter(version=version)
    return frameworks.get()


def export(framework: Framework) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        exporters.export_file(framework, "case", case_base=URIS.base)
    )
    return loaded


def import_package(doc: dict[str, Any]):
    raw = json.dumps(doc).encode()
    return framework_import(file=io.BytesIO(raw), fmt="case", size=len(raw))


# --- Export -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_framework_exports_a_package_the_case_schema_accepts(shipped, code):
    package = export(shipped[code])

    assert errors(package_validator(), package) == []
    assert package["CFDocument"]["identifier"] == str(shipped[code].uuid)
    assert len(package["CFItems"]) == shipped[code].competencies.count()


def test_the_package_carries_the_tree_as_ordered_is_child_of_associations(shipped):
    package = export(shipped["im-milestones"])
    items = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    document = package["CFDocument"]["identifier"]
    children: dict[str, list[tuple[int, str]]] = {}
    for association in package["CFAssociations"]:
        assert association["associationType"] == "isChildOf"
        parent = association["destinationNodeURI"]["identifier"]
        children.setdefault(items.get(parent, "document"), []).append(
            (association["sequenceNumber"], items[association["originNodeURI"]["identifier"]])
        )
        assert parent == document or parent in items

    assert [code for _, code in sorted(children["document"])] == [
        "PC",
        "MK",
        "SBP",
        "PBLI",
        "PROF",
        "ICS",
    ]
    assert [code for _, code in sorted(children["PC"])] == [f"PC{n}" for n in range(1, 7)]


def test_level_descriptors_and_the_scale_are_a_rubric(shipped):
    framework = shipped["im-milestones"]
    rubric = export(framework)["CFRubrics"][0]
    scale, *criteria = rubric["CFRubricCriteria"]

    assert scale["category"] == "scale:milestone-levels"
    assert [level["score"] for level in scale["CFRubricCriterionLevels"]] == [
        0,
        1,
        1.5,
        2,
        2.5,
        3,
        3.5,
        4,
        4.5,
        5,
    ]
    pc1 = next(c for c in criteria if c["category"] == "PC1")
    descriptor = Competency.objects.get(framework=framework, code="PC1").descriptors.get(level=1)
    assert pc1["CFRubricCriterionLevels"][0]["description"] == descriptor.text
    assert len(criteria) == 21  # every sub-competency has descriptors; domains none


def test_an_export_is_the_same_bytes_every_time(shipped):
    first = exporters.export_file(shipped["acgme-harmonized"], "case", case_base=URIS.base)
    again = exporters.export_file(stored("acgme-harmonized"), "case", case_base=URIS.base)

    assert first == again


# --- Round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", SHIPPED)
def test_export_then_import_gives_the_same_framework(shipped, code):
    before = exporters.framework_data(shipped[code])
    package = export(shipped[code])
    Framework.objects.filter(code=code).delete()

    result = import_package(package)

    assert result.created
    assert result.warnings == ()
    again = stored(code)
    assert exporters.framework_data(again) == before
    assert again.uuid == shipped[code].uuid
    assert {c.code: c.uuid for c in again.competencies.all()} == {
        c.code: c.uuid for c in shipped[code].competencies.all()
    }


@pytest.mark.parametrize("code", SHIPPED)
def test_importing_the_export_of_a_stored_version_changes_nothing(shipped, code):
    counts = row_counts()

    result = import_package(export(shipped[code]))

    assert not result.created
    assert row_counts() == counts


# --- Identifiers ------------------------------------------------------------------------------


def test_a_package_imported_as_a_new_version_keeps_its_item_identifiers(shipped):
    old = shipped["acgme-harmonized"]
    package = export(old)
    package["CFDocument"]["version"] = "2.1"

    result = import_package(package)

    new = stored("acgme-harmonized", "2.1")
    assert result.created
    assert {c.code: c.uuid for c in new.competencies.all()} == {
        c.code: c.uuid for c in old.competencies.all()
    }
    # The document identifier names one version, so the new one gets its own.
    assert new.uuid == identifiers.document_uuid("acgme-harmonized", "2.1") != old.uuid


def test_an_item_keeps_its_identifier_across_versions_imported_in_our_own_format(shipped):
    old = stored("acgme-harmonized")
    data = exporters.framework_data(old)
    doc = json.loads(exporters.dump_json(data))
    doc["version"] = "2.1"
    doc["competencies"][0]["children"][0]["title"] = "Patient safety, reworded"
    raw = json.dumps(doc).encode()
    framework_import(file=io.BytesIO(raw), fmt="json")

    before = {c.code: c.uuid for c in old.competencies.all()}
    after = {c.code: c.uuid for c in stored("acgme-harmonized", "2.1").competencies.all()}
    changed = doc["competencies"][0]["children"][0]["code"]
    assert {code for code in before if before[code] == after[code]} == set(before) - {changed}
    assert after[changed] != before[changed]
    assert stored("acgme-harmonized", "2.1").uuid != old.uuid


def test_shipped_identifiers_are_the_same_on_every_installation(shipped):
    framework = shipped["aamc-core-epas"]
    epa1 = framework.competencies.get(code="EPA1")

    assert framework.uuid == identifiers.document_uuid("aamc-core-epas", "2014")
    assert epa1.uuid == identifiers.item_uuid("aamc-core-epas", "EPA1", epa1.title)


# --- Links between frameworks -----------------------------------------------------------------


def test_links_between_frameworks_are_exported_as_associations_and_imported_back(shipped):
    epa = Competency.objects.get(framework__code="aamc-core-epas", code="EPA1")
    pc1 = Competency.objects.get(framework__code="im-milestones", code="PC1")
    link, _ = competency_link_create(origin=epa, destination=pc1, kind="isRelatedTo")
    package = export(stored("aamc-core-epas"))

    exported = [a for a in package["CFAssociations"] if a["associationType"] == "isRelatedTo"]
    assert exported == [
        {
            "identifier": str(link.uuid),
            "associationType": "isRelatedTo",
            "uri": URIS.of("CFAssociations", link.uuid),
            "originNodeURI": URIS.link("CFItems", epa.uuid, "EPA1"),
            "destinationNodeURI": URIS.link("CFItems", pc1.uuid, "PC1"),
            "lastChangeDateTime": case._when(link.created_at),
        }
    ]
    assert errors(package_validator(), package) == []

    Framework.objects.filter(code="aamc-core-epas").delete()
    assert not CompetencyLink.objects.exists()
    result = import_package(package)

    again = CompetencyLink.objects.select_related("origin__framework", "destination").get()
    assert (again.origin.code, again.destination, again.kind) == ("EPA1", pc1, "isRelatedTo")
    assert again.uuid == link.uuid
    assert result.warnings == ()


# --- OpenSALT's packages ----------------------------------------------------------------------


@pytest.mark.parametrize("name", package_names())
def test_every_package_from_opensalt_imports(shipped, name):
    folder = require_case_dir()
    raw = (folder / name).read_bytes()
    package = json.loads(raw)

    with (folder / name).open("rb") as file:
        result = framework_import(file=file, filename=name)

    framework = Framework.objects.with_tree().get(pk=result.framework.pk)
    assert result.created
    stored_items = {c.uuid for c in framework.competencies.all()}
    assert stored_items == {uuid.UUID(i["identifier"]) for i in package.get("CFItems", [])}
    # What was stored exports as a package the schema accepts.
    assert errors(package_validator(), export(framework)) == []


def test_the_sample_framework_imports_with_item_level_warnings_for_its_deviations(shipped):
    folder = require_case_dir()
    raw = (folder / "opensalt-sample-framework.json").read_bytes()
    assert errors(package_validator(), json.loads(raw))  # it really deviates

    result = framework_import(file=io.BytesIO(raw), fmt="case")

    # The schema finds three deviations: two sequenceNumbers written as text, and null
    # descriptions of item types. Each is a warning naming the object.
    text_numbers = [w for w in result.warnings if "sequenceNumber" in w and "is text" in w]
    assert [w.split(" (identifier")[0] for w in text_numbers] == [
        "CFAssociations[15]",
        "CFAssociations[31]",
    ]
    nulls = [w for w in result.warnings if "is null" in w]
    assert [w.split(" (identifier")[0] for w in nulls] == [
        f"CFDefinitions.CFItemTypes[{n}]" for n in range(3)
    ]
    assert result.framework.competencies.count() == 16


def test_a_deep_tree_is_kept_in_two_levels_with_a_warning_per_item(shipped):
    folder = require_case_dir()
    result = framework_import(file=(folder / "Ordering.json").open("rb"), fmt="case")
    framework = stored(result.framework.code)
    nodes = list(framework.competencies.all())

    assert len(nodes) == 28
    assert all(n.parent is None or n.parent.parent_id is None for n in nodes)
    assert sum("more than two levels deep" in w for w in result.warnings) > 0


# --- Bad input --------------------------------------------------------------------------------


def _doc_id(n: int) -> str:
    return f"d0000000-0000-0000-0000-{n:012d}"


def _item(n: int, code: str) -> dict[str, Any]:
    identifier = f"00000000-0000-0000-0000-{n:012d}"
    return {
        "identifier": identifier,
        "uri": f"https://x.example/CFItems/{identifier}",
        "fullStatement": f"Item {code}",
        "humanCodingScheme": code,
        "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
    }


def _child_of(n: int, origin: str, destination: str, kind: str = "isChildOf") -> dict[str, Any]:
    identifier = f"a0000000-0000-0000-0000-{n:012d}"
    return {
        "identifier": identifier,
        "associationType": kind,
        "uri": f"https://x.example/CFAssociations/{identifier}",
        "originNodeURI": {"title": "o", "identifier": origin, "uri": "https://x.example/o"},
        "destinationNodeURI": {
            "title": "d",
            "identifier": destination,
            "uri": "https://x.example/d",
        },
        "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
    }


def small_package() -> dict[str, Any]:
    doc = _doc_id(1)
    a, a1, a2 = _item(1, "A"), _item(2, "A1"), _item(3, "A2")
    return {
        "CFDocument": {
            "identifier": doc,
            "uri": f"https://x.example/CFDocuments/{doc}",
            "creator": "Test suite",
            "title": "Small",
            "version": "1.0",
            "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
        },
        "CFItems": [a, a1, a2],
        "CFAssociations": [
            _child_of(1, a["identifier"], doc),
            _child_of(2, a1["identifier"], a["identifier"]),
            _child_of(3, a2["identifier"], a["identifier"]),
        ],
    }


def refused(package: dict[str, Any]) -> str:
    counts = row_counts()
    with pytest.raises(FrameworkImportError) as caught:
        import_package(package)
    assert row_counts() == counts
    return str(caught.value)


def test_the_small_package_itself_imports(shipped):
    result = import_package(small_package())

    assert [c.code for c in stored("small").competencies.all()] == ["A", "A1", "A2"]
    assert result.created


def test_a_cycle_in_the_associations_is_refused_naming_the_items(shipped):
    package = small_package()
    a, a1 = package["CFItems"][0]["identifier"], package["CFItems"][1]["identifier"]
    package["CFAssociations"][0] = _child_of(1, a, a1)  # A under A1, A1 under A

    message = refused(package)

    assert "cycle" in message
    assert '"A"' in message or "A1 → A" in message or "A → A1" in message


def test_an_association_to_a_missing_item_is_refused_naming_the_association(shipped):
    package = small_package()
    package["CFAssociations"][2]["destinationNodeURI"]["identifier"] = str(uuid.uuid4())

    message = refused(package)

    assert message.startswith("CFAssociations[2] (identifier a0000000-0000-0000-0000-000000000003)")
    assert "missing item" in message


def test_an_item_missing_from_a_rubric_is_refused(shipped):
    package = small_package()
    package["CFRubrics"] = [
        {
            "identifier": str(uuid.uuid4()),
            "uri": "https://x.example/r",
            "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
            "CFRubricCriteria": [
                {
                    "identifier": str(uuid.uuid4()),
                    "uri": "https://x.example/c",
                    "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
                    "CFItemURI": {
                        "title": "x",
                        "identifier": str(uuid.uuid4()),
                        "uri": "https://x",
                    },
                }
            ],
        }
    ]

    assert "missing item" in refused(package)


def test_duplicate_identifiers_are_refused_naming_both_items(shipped):
    package = small_package()
    package["CFItems"][2]["identifier"] = package["CFItems"][1]["identifier"]

    message = refused(package)

    assert message.startswith('CFItems[2] "A2"')
    assert 'duplicate identifier: CFItems[1] "A1"' in message


def test_an_item_with_the_documents_identifier_is_refused(shipped):
    package = small_package()
    package["CFItems"][0]["identifier"] = package["CFDocument"]["identifier"]

    assert "the CFDocument has the same one" in refused(package)


def test_an_unknown_association_type_is_refused_naming_it(shipped):
    package = small_package()
    package["CFAssociations"][1]["associationType"] = "isCousinOf"

    message = refused(package)

    assert message.startswith("CFAssociations[1]")
    assert 'unknown association type "isCousinOf"' in message


def test_an_item_without_a_statement_is_refused(shipped):
    package = small_package()
    del package["CFItems"][1]["fullStatement"]

    assert refused(package).startswith('CFItems[1] "A1"')


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"[]", "no CFDocument"),
        (b'{"CFDocument": {"title": "x"}}', "CFDocument: has no identifier"),
        (b'{"CFDocument": ', "not valid JSON"),
        (b"[" * 100 + b"]" * 100, "nested"),
    ],
)
def test_what_is_not_a_package_is_refused(shipped, raw, expected):
    counts = row_counts()
    with pytest.raises(FrameworkImportError, match=expected):
        framework_import(file=io.BytesIO(raw), fmt="case")
    assert row_counts() == counts


def test_a_50_mb_package_is_refused_before_it_is_read(shipped, settings):
    class Endless(io.RawIOBase):
        """50 MB of a package, produced as it is read; counts what was read."""

        read_bytes = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            size = min(len(buffer), 50 * 1024 * 1024 - self.read_bytes)
            buffer[:size] = b" " * size
            self.read_bytes += size
            return size

    stream = Endless()
    counts = row_counts()
    with pytest.raises(FrameworkImportError, match="the limit is 5,242,880 bytes"):
        framework_import(file=io.BufferedReader(stream), fmt="case")
    assert stream.read_bytes <= settings.FRAMEWORK_IMPORT_MAX_BYTES + 64 * 1024
    assert row_counts() == counts

    with pytest.raises(FrameworkImportError, match="52,428,800 bytes"):
        framework_import(file=io.BytesIO(b""), fmt="case", size=50 * 1024 * 1024)


def test_a_refused_import_writes_nothing_even_after_the_tree_is_written(shipped):
    """A link to a stored item is written last; a rubric level off the scale fails before any
    write: either way nothing stays."""
    package = copy.deepcopy(small_package())
    package["CFDocument"]["subject"] = ["continuum:scale=milestone-levels"]
    package["CFRubrics"] = [
        {
            "identifier": str(uuid.uuid4()),
            "uri": "https://x.example/r",
            "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
            "CFRubricCriteria": [
                {
                    "identifier": str(uuid.uuid4()),
                    "uri": "https://x.example/c",
                    "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
                    "CFItemURI": {
                        "title": "A1",
                        "identifier": package["CFItems"][1]["identifier"],
                        "uri": "https://x",
                    },
                    "CFRubricCriterionLevels": [
                        {
                            "identifier": str(uuid.uuid4()),
                            "uri": "https://x.example/l",
                            "lastChangeDateTime": "2024-01-01T00:00:00+00:00",
                            "score": 7.5,
                            "description": "Beyond the scale",
                        }
                    ],
                }
            ],
        }
    ]

    message = refused(package)

    assert "level 7.5 is not on the scale" in message
    assert "CFRubrics[0]" in message


def test_sniffing_tells_a_case_package_from_our_own_json():
    assert importers.sniff(b'{"CFDocument": {}}', "json") == "case"
    assert importers.sniff(b'{"format": "continuum-framework"}', "json") == "json"
    assert importers.sniff(b"<x/>", "medbiq") == "medbiq"


def test_a_long_chain_of_items_imports_flattened_without_recursion(shipped):
    doc = _doc_id(1)
    count = 3000
    items = [_item(n, f"C{n}") for n in range(1, count + 1)]
    associations = [_child_of(1, items[0]["identifier"], doc)] + [
        _child_of(n + 1, items[n]["identifier"], items[n - 1]["identifier"])
        for n in range(1, count)
    ]
    package = small_package()
    package["CFItems"], package["CFAssociations"] = items, associations

    result = import_package(package)

    framework = stored("small")
    assert framework.competencies.filter(parent__isnull=True).count() == 1
    assert framework.competencies.count() == count
    assert sum("more than two levels deep" in w for w in result.warnings) == count - 2


def test_a_long_loop_is_refused_naming_every_item_of_it(shipped):
    package = small_package()
    a, a1, a2 = (i["identifier"] for i in package["CFItems"])
    package["CFAssociations"] = [_child_of(1, a, a2), _child_of(2, a1, a), _child_of(3, a2, a1)]

    message = refused(package)

    assert "cycle" in message
    assert all(code in message for code in ("A → ", "A1", "A2"))

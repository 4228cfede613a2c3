"""The frameworks shipped in frameworks/data/ load, have the right shape, and export back to the
very same files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from frameworks import exporters
from frameworks.models import Competency, Framework, RatingScale
from frameworks.services import SHIPPED_DIR, frameworks_load_shipped
from frameworks.tests.factories import row_counts

SCHEMA = Path(__file__).resolve().parents[1] / "schema" / "continuum-framework.schema.json"
SHIPPED = {
    "acgme-harmonized": ("2.0", 11),
    "im-milestones": ("2.0", 21),
    "aamc-core-epas": ("2014", 13),
}
HALF_STEPS = [Decimal(v) for v in ("0", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5")]


@pytest.fixture
def shipped(db):
    frameworks_load_shipped()
    return {f.code: f for f in Framework.objects.with_tree()}


def ratable_codes(framework: Framework) -> list[str]:
    return list(
        Competency.objects.filter(framework=framework).ratable().values_list("code", flat=True)
    )


def test_exactly_the_agreed_files_are_shipped():
    assert sorted(path.stem for path in SHIPPED_DIR.glob("*.json")) == sorted(SHIPPED)


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_shipped_files_follow_the_json_schema(code):
    schema = json.loads(SCHEMA.read_text())
    document = json.loads((SHIPPED_DIR / f"{code}.json").read_text())

    jsonschema.Draft202012Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    assert errors == []


def test_shipped_frameworks_load_with_their_codes_versions_and_ratable_counts(shipped):
    assert {code: (f.version, len(ratable_codes(f))) for code, f in shipped.items()} == SHIPPED


def test_internal_medicine_has_the_21_sub_competencies_of_milestones_2_0(shipped):
    im = shipped["im-milestones"]

    assert ratable_codes(im) == [
        *(f"PC{n}" for n in range(1, 7)),
        *(f"MK{n}" for n in range(1, 4)),
        *(f"SBP{n}" for n in range(1, 4)),
        "PBLI1",
        "PBLI2",
        *(f"PROF{n}" for n in range(1, 5)),
        *(f"ICS{n}" for n in range(1, 4)),
    ]
    assert str(im.effective_date) == "2021-07-01"
    titles = {c.code: c.title for c in im.competencies.all()}
    assert titles["PC4"] == "Patient Management \u2013 Inpatient"
    assert titles["PROF4"] == "Knowledge of Systemic and Individual Factors of Well-Being"
    assert [c.code for c in im.competencies.all() if c.parent_id is None] == [
        "PC",
        "MK",
        "SBP",
        "PBLI",
        "PROF",
        "ICS",
    ]


def test_harmonized_milestones_have_four_domains_and_eleven_items(shipped):
    harmonized = shipped["acgme-harmonized"]

    domains = [c.code for c in harmonized.competencies.all() if c.parent_id is None]
    assert sorted(domains) == ["ICS", "PBLI", "PROF", "SBP"]
    titles = {c.code: c.title for c in harmonized.competencies.all()}
    assert titles["PROF3"] == "Well-Being"
    assert titles["PBLI2"] == "Reflective Practice and Commitment to Personal Growth"


def test_core_epas_are_thirteen_top_level_items_with_descriptions(shipped):
    epas = shipped["aamc-core-epas"]

    nodes = list(epas.competencies.all())
    assert [c.code for c in nodes] == [f"EPA{n}" for n in range(1, 14)]
    assert all(c.parent_id is None and c.description for c in nodes)
    assert nodes[0].title == "Gather a history and perform a physical examination"
    assert epas.kind == "epa"


@pytest.mark.parametrize("code", ["acgme-harmonized", "im-milestones"])
def test_every_milestone_item_describes_levels_one_to_five(shipped, code):
    framework = shipped[code]

    for competency in framework.competencies.all():
        levels = [d.level for d in competency.descriptors.all()]
        if competency.parent_id is None:
            assert levels == []
        else:
            assert levels == [Decimal(n) for n in range(1, 6)], competency.code
            assert all(len(d.text) <= 200 for d in competency.descriptors.all())


def test_the_two_scales_are_as_agreed(shipped):
    milestone = RatingScale.objects.get(code="milestone-levels")
    entrustment = RatingScale.objects.get(code="entrustment-5")

    assert milestone.kind == "milestone"
    assert [lv.value for lv in milestone.levels.all()] == HALF_STEPS
    assert milestone.levels.get(value=0).label == "Not yet level 1"
    assert entrustment.kind == "entrustment"
    assert [lv.value for lv in entrustment.levels.all()] == [Decimal(n) for n in range(1, 6)]
    assert shipped["im-milestones"].scale == milestone
    assert shipped["acgme-harmonized"].scale == milestone
    assert shipped["aamc-core-epas"].scale == entrustment


def test_every_shipped_file_names_its_source_and_says_descriptors_are_ours(shipped):
    for framework in shipped.values():
        assert framework.source
        assert framework.source_url.startswith(("https://www.acgme.org/", "https://www.aamc.org/"))
        assert "Continuum's own" in framework.licence_note
        assert "importer" in framework.licence_note


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_exporting_a_shipped_framework_gives_back_the_shipped_file(shipped, code):
    exported = exporters.dump_json(exporters.framework_data(shipped[code]))

    assert exported == (SHIPPED_DIR / f"{code}.json").read_text(encoding="utf-8")


def test_loading_the_shipped_files_again_changes_nothing(shipped):
    before = row_counts()

    results = frameworks_load_shipped()

    assert [result.created for _, result in results] == [False, False, False]
    assert row_counts() == before

"""Importing frameworks: what is written, idempotency, versions side by side, round trips."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from frameworks import exporters, importers
from frameworks.importers import FrameworkImportError
from frameworks.models import Competency, Framework, RatingScale
from frameworks.services import framework_import
from frameworks.tests.factories import (
    CSV_TEXT,
    DOC,
    as_bytes,
    framework_tree,
    minimal_doc,
    row_counts,
)

pytestmark = pytest.mark.django_db


def load(doc_or_raw, fmt="json"):
    raw = doc_or_raw if isinstance(doc_or_raw, bytes) else as_bytes(doc_or_raw)
    return framework_import(file=io.BytesIO(raw), fmt=fmt)


def stored(code="tiny", version="1.0") -> Framework:
    return Framework.objects.with_tree().get(code=code, version=version)


def test_import_writes_the_framework_its_scale_tree_and_descriptors():
    result = load(DOC)

    framework = stored()
    assert result.created
    assert result.message == (
        "tiny 1.0: imported (1 domain, 3 ratable items, 3 level descriptors)."
    )
    assert (framework.name, framework.kind, str(framework.effective_date)) == (
        "Tiny framework",
        "milestones",
        "2024-07-01",
    )
    assert framework.source_url == "https://example.org/tiny"
    assert framework.scale.code == "three-step"
    assert [(lv.value, lv.label, lv.anchor) for lv in framework.scale.levels.all()] == [
        (Decimal("1"), "Starting", ""),
        (Decimal("2"), "Growing", "Does it with help."),
        (Decimal("3"), "Ready", ""),
    ]
    tree = [
        (c.code, c.parent.code if c.parent else None, c.order) for c in framework.competencies.all()
    ]
    assert tree == [("A", None, 0), ("A1", "A", 1), ("A2", "A", 2), ("B", None, 3)]
    a1 = framework.competencies.get(code="A1")
    assert a1.description == "The first thing."
    assert [(d.level, d.text) for d in a1.descriptors.all()] == [
        (Decimal("1"), "Begins."),
        (Decimal("3"), "Finishes."),
    ]


def test_ratable_returns_the_leaves_not_the_domains():
    load(DOC)

    ratable = Competency.objects.filter(framework=stored()).ratable()

    assert sorted(ratable.values_list("code", flat=True)) == ["A1", "A2", "B"]


def test_csv_and_json_describe_the_same_framework():
    assert importers.parse_csv(CSV_TEXT) == importers.parse_json(as_bytes(DOC).decode())
    assert importers.parse_csv(CSV_TEXT).scale == importers.parse_json(as_bytes(DOC).decode()).scale


def test_importing_the_same_file_twice_is_a_no_op():
    first = load(DOC)
    before = row_counts()

    again = load(DOC)

    assert not again.created
    assert again.message == "tiny 1.0: already present, unchanged."
    assert again.framework.pk == first.framework.pk
    assert row_counts() == before


def test_the_same_content_in_the_other_format_is_also_unchanged():
    load(DOC)
    before = row_counts()

    again = load(CSV_TEXT.encode(), "csv")

    assert not again.created
    assert row_counts() == before


def test_order_of_descriptors_in_the_file_does_not_count_as_a_change():
    load(DOC)
    doc = minimal_doc()
    doc["competencies"][0]["children"][0]["descriptors"].reverse()

    assert not load(doc).created


def test_same_version_with_other_content_is_refused_and_changes_nothing():
    load(DOC)
    before = row_counts()
    doc = minimal_doc()
    doc["competencies"][0]["children"][1]["title"] = "Renamed item"

    with pytest.raises(FrameworkImportError) as caught:
        load(doc)

    assert str(caught.value) == (
        "tiny 1.0 is already present with different content (A2 differs); a changed "
        "framework needs a new version"
    )
    assert row_counts() == before
    assert stored().competencies.get(code="A2").title == "Second item"


@pytest.mark.parametrize(
    ("change", "difference"),
    [
        ({"name": "Other"}, "name differs"),
        ({"source": "Elsewhere"}, "source differs"),
        ({"effective_date": None}, "effective_date differs"),
    ],
)
def test_the_refusal_names_what_differs(change, difference):
    load(DOC)

    with pytest.raises(FrameworkImportError) as caught:
        load(minimal_doc(**change))

    assert f"({difference})" in str(caught.value)


def test_an_added_competency_is_named_in_the_refusal():
    load(DOC)
    doc = minimal_doc()
    doc["competencies"].append({"code": "C", "title": "New"})

    with pytest.raises(FrameworkImportError, match=r"\(adds C\)"):
        load(doc)


def test_a_new_version_is_added_beside_the_old_one_which_is_untouched():
    old = load(DOC).framework
    old_items = {c.code: (c.pk, c.title) for c in old.competencies.all()}
    doc = minimal_doc(version="1.1")
    doc["competencies"][0]["children"][1]["title"] = "Renamed item"

    new = load(doc)

    assert new.created
    assert Framework.objects.filter(code="tiny").count() == 2
    assert {c.code: (c.pk, c.title) for c in stored("tiny", "1.0").competencies.all()} == old_items
    assert stored("tiny", "1.1").competencies.get(code="A2").title == "Renamed item"
    assert stored("tiny", "1.1").scale_id == stored("tiny", "1.0").scale_id
    assert RatingScale.objects.filter(code="three-step").count() == 1


def test_a_framework_may_name_a_stored_scale_by_code():
    framework_tree(domains=1, items=1)  # stores the factory scale "milestone-test"

    result = load(minimal_doc(scale="milestone-test"))

    assert result.framework.scale.code == "milestone-test"


def test_json_export_then_import_round_trips_exactly():
    load(DOC)
    exported = exporters.dump_json(exporters.framework_data(stored()))
    Framework.objects.all().delete()
    RatingScale.objects.all().delete()

    load(exported.encode())

    assert exporters.dump_json(exporters.framework_data(stored())) == exported
    assert importers.parse_json(exported) == importers.parse_json(as_bytes(DOC).decode())


def test_csv_export_then_import_round_trips_exactly():
    load(DOC)
    exported = exporters.dump_csv(exporters.framework_data(stored()))
    Framework.objects.all().delete()
    RatingScale.objects.all().delete()

    load(exported.encode(), "csv")

    assert exporters.dump_csv(exporters.framework_data(stored())) == exported
    assert exported == CSV_TEXT


# Imports trim text, so stored values never start with a tab or a carriage return.
FORMULA_LIKE = ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", '=HYPERLINK("http://x")')


def test_formula_like_and_dash_led_text_survives_a_csv_round_trip():
    doc = minimal_doc(name="- Dash-led name", source="'Twas written by hand")
    doc["scale"] = {**doc["scale"], "code": "quoted-scale", "name": "-1 to 3"}
    doc["scale"]["levels"][0]["anchor"] = "'=quoted already"
    doc["licence_note"] = FORMULA_LIKE[0]
    domain = doc["competencies"][0]
    domain["title"] = "-Dash-led domain"
    domain["children"][0]["title"] = FORMULA_LIKE[1]
    domain["children"][0]["description"] = FORMULA_LIKE[2]
    domain["children"][0]["descriptors"][0]["text"] = FORMULA_LIKE[3]
    domain["children"][1]["title"] = FORMULA_LIKE[4]
    load(doc)
    original = exporters.framework_data(stored())
    exported = exporters.dump_csv(original)
    Framework.objects.all().delete()
    RatingScale.objects.all().delete()

    assert "\ncompetency,A1,A,'+cmd|' /C calc'!A0,,'-2+3\n" in exported  # neutralised
    load(exported.encode(), "csv")

    assert exporters.framework_data(stored()) == original
    assert exporters.dump_csv(exporters.framework_data(stored())) == exported
    assert stored().name == "- Dash-led name"
    assert stored().source == "'Twas written by hand"


def test_a_hand_written_csv_keeps_a_quote_before_ordinary_text():
    text = CSV_TEXT.replace("competency,A2,A,Second item,,", "competency,A2,A,'Second item,,")

    assert importers.parse_csv(text).competencies[2].title == "'Second item"


def test_text_needing_quotes_survives_a_csv_round_trip():
    doc = minimal_doc()
    doc["competencies"][1]["title"] = 'Commas, "quotes" and\nnew lines \u2013 all kept'

    load(doc)
    exported = exporters.dump_csv(exporters.framework_data(stored()))

    assert importers.parse_csv(exported).competencies[-1].title == (
        'Commas, "quotes" and\nnew lines \u2013 all kept'
    )


def test_a_multi_line_csv_record_is_reported_at_its_first_line():
    text = CSV_TEXT.replace(
        "competency,A2,A,Second item,,", 'competency,A2,A,"Second\nitem",,'
    ).replace("level,B,,,2,Half way.", "level,B,,,9,Half way.")

    with pytest.raises(FrameworkImportError) as caught:
        load(text.encode(), "csv")

    # The record on line 20 spans two lines, so the last level row is now on line 23.
    assert str(caught.value).startswith('line 23, column "level": level 9 is not on the scale')


def test_a_byte_order_mark_is_accepted():
    result = load(b"\xef\xbb\xbf" + CSV_TEXT.encode(), "csv")

    assert result.created


def test_the_format_is_guessed_from_the_file_name():
    result = framework_import(file=io.BytesIO(CSV_TEXT.encode()), filename="tiny.CSV")

    assert result.created


def test_a_file_name_without_a_known_extension_needs_a_format():
    with pytest.raises(FrameworkImportError) as caught:
        framework_import(file=io.BytesIO(CSV_TEXT.encode()), filename="tiny.txt")

    assert str(caught.value) == (
        'cannot tell the format from the file name "tiny.txt"; choose json, csv, case or medbiq'
    )


def test_a_scale_defined_in_the_file_is_reused_when_it_matches():
    load(DOC)

    load(minimal_doc(code="tiny-two"))

    assert RatingScale.objects.filter(code="three-step").count() == 1
    assert stored("tiny-two").scale == stored("tiny").scale

"""Every kind of bad file is refused with one message naming the place and field, and the
database is left exactly as it was."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from frameworks.importers import FrameworkImportError
from frameworks.services import framework_import
from frameworks.tests.factories import (
    DOC,
    as_bytes,
    csv_with,
    framework_tree,
    minimal_doc,
    row_counts,
)

pytestmark = pytest.mark.django_db

FIFTY_MB = 50 * 1024 * 1024


@pytest.fixture(autouse=True)
def existing_data():
    """Something already stored, so 'unchanged' is not just 'still empty'."""
    framework_tree(domains=1, items=2, code="already-here")


def refused(raw: bytes, fmt: str) -> str:
    """Import `raw`; assert it is refused and nothing changed; return the message."""
    before = row_counts()
    with pytest.raises(FrameworkImportError) as caught:
        framework_import(file=io.BytesIO(raw), fmt=fmt)
    assert row_counts() == before
    return str(caught.value)


def item(doc, domain, child):
    return doc["competencies"][domain]["children"][child]


# --- JSON ---------------------------------------------------------------------------------


def test_malformed_json_names_the_line_and_column():
    raw = b'{\n  "format": "continuum-framework",\n  "code": ,\n}'

    message = refused(raw, "json")

    assert message == "line 3, column 11: not valid JSON: Expecting value"


def test_json_that_is_not_utf8_names_the_line():
    raw = as_bytes(minimal_doc(name="Caf\u00e9")).replace("\u00e9".encode(), b"\xe9")
    line = raw[: raw.index(b"\xe9")].count(b"\n") + 1

    message = refused(raw, "json")

    assert message.startswith(f"line {line}: the file is not UTF-8 text (byte 0xe9")


def test_utf16_json_is_refused_with_advice():
    raw = as_bytes(DOC).decode().encode("utf-16")

    message = refused(raw, "json")

    assert message == "the file is UTF-16 text; save it as UTF-8 and import it again"


def test_unknown_scale_code_is_named():
    message = refused(as_bytes(minimal_doc(scale="no-such-scale")), "json")

    assert message.startswith('$.scale: unknown scale "no-such-scale"; define it in the file')
    assert "milestone-test" in message  # the known scales are listed


def test_duplicate_competency_codes_are_refused():
    doc = minimal_doc()
    item(doc, 0, 1)["code"] = "A1"

    message = refused(as_bytes(doc), "json")

    assert message == (
        '$.competencies[0].children[1].code: duplicate code "A1"; it is already used at '
        "$.competencies[0].children[0]"
    )


def test_codes_differing_only_in_case_count_as_duplicates():
    doc = minimal_doc()
    doc["competencies"][1]["code"] = "a1"

    assert 'duplicate code "a1"' in refused(as_bytes(doc), "json")


def test_level_outside_the_files_scale_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["descriptors"][1]["level"] = 4

    message = refused(as_bytes(doc), "json")

    assert message == (
        "$.competencies[0].children[0].descriptors[1].level: level 4 is not on the scale "
        '"three-step" (its levels are 1, 2, 3)'
    )


def test_level_outside_a_stored_scale_is_refused():
    doc = minimal_doc(scale="milestone-test")  # the factory scale: 0 to 5 in half steps
    item(doc, 0, 0)["descriptors"][1]["level"] = 6

    message = refused(as_bytes(doc), "json")

    assert message.startswith(
        "$.competencies[0].children[0].descriptors[1].level: level 6 is not on the scale "
        '"milestone-test"'
    )


def test_a_level_with_two_decimals_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["descriptors"][0]["level"] = 1.25

    message = refused(as_bytes(doc), "json")

    assert message.startswith(
        "$.competencies[0].children[0].descriptors[0].level: must be a number"
    )


def test_a_level_written_as_text_in_json_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["descriptors"][0]["level"] = "1"

    message = refused(as_bytes(doc), "json")

    assert message == (
        "$.competencies[0].children[0].descriptors[0].level: must be a number, not text "
        '(write 2.5, not "2.5")'
    )


def test_a_missing_title_is_named():
    doc = minimal_doc()
    del item(doc, 0, 1)["title"]

    message = refused(as_bytes(doc), "json")

    assert message == "$.competencies[0].children[1].title: is missing or empty; it is required"


def test_a_blank_title_counts_as_missing():
    doc = minimal_doc()
    doc["competencies"][1]["title"] = "   "

    assert refused(as_bytes(doc), "json") == (
        "$.competencies[1].title: is missing or empty; it is required"
    )


def test_a_missing_framework_field_is_named():
    doc = minimal_doc()
    del doc["version"]

    assert refused(as_bytes(doc), "json") == "$.version: is missing or empty; it is required"


def test_an_unknown_field_is_refused_so_typos_are_caught():
    doc = minimal_doc()
    item(doc, 0, 0)["titel"] = "Typo"

    message = refused(as_bytes(doc), "json")

    assert message.startswith("$.competencies[0].children[0].titel: unknown field")


def test_a_key_written_twice_is_refused():
    raw = as_bytes(DOC).replace(b'"name": "Tiny framework",', b'"name": "A", "name": "B",')

    assert refused(raw, "json") == "$.name: appears twice in the same object"


def test_a_json_file_of_another_kind_is_refused():
    message = refused(b'{"hello": "world"}', "json")

    assert message.startswith("$.hello: unknown field")


def test_a_file_without_our_format_marker_is_refused():
    doc = minimal_doc()
    del doc["format"]

    assert refused(as_bytes(doc), "json").startswith('$.format: must be "continuum-framework"')


def test_a_list_instead_of_an_object_is_refused():
    assert refused(b"[1, 2]", "json") == "$: must be an object {...}, not a list"


def test_a_bad_date_is_refused():
    message = refused(as_bytes(minimal_doc(effective_date="1 July 2021")), "json")

    assert message == '$.effective_date: "1 July 2021" is not a date; write it as YYYY-MM-DD'


def test_an_impossible_date_is_refused():
    assert "is not a date" in refused(as_bytes(minimal_doc(effective_date="2021-02-30")), "json")


def test_a_bad_source_url_is_refused():
    message = refused(as_bytes(minimal_doc(source_url="javascript:alert(1)")), "json")

    assert message.startswith('$.source_url: "javascript:alert(1)" is not a web address')


def test_an_unknown_kind_is_refused():
    message = refused(as_bytes(minimal_doc(kind="rubric")), "json")

    assert message == '$.kind: "rubric" is not one of: milestones, epa'


def test_a_third_level_of_nesting_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["children"] = [{"code": "A1a", "title": "Too deep"}]

    message = refused(as_bytes(doc), "json")

    assert message.startswith("$.competencies[0].children[0].children: frameworks have two levels")


def test_an_empty_competency_list_is_refused():
    message = refused(as_bytes(minimal_doc(competencies=[])), "json")

    assert message == "$.competencies: the list is empty; a framework needs competencies"


def test_a_level_described_twice_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["descriptors"][1]["level"] = 1

    message = refused(as_bytes(doc), "json")

    assert message == (
        "$.competencies[0].children[0].descriptors[1].level: level 1 is described twice for "
        "this competency"
    )


def test_a_scale_value_listed_twice_is_refused():
    doc = minimal_doc()
    doc["scale"]["levels"][2]["value"] = 2

    assert refused(as_bytes(doc), "json") == (
        "$.scale.levels[2].value: value 2 appears twice in the scale"
    )


def test_a_nul_character_is_refused_before_it_reaches_the_database():
    doc = minimal_doc()
    item(doc, 0, 0)["title"] = "Bad\u0000title"

    assert refused(as_bytes(doc), "json") == (
        "$.competencies[0].children[0].title: contains a NUL character"
    )


def test_a_title_longer_than_the_column_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["title"] = "x" * 301

    assert refused(as_bytes(doc), "json") == (
        "$.competencies[0].children[0].title: is 301 characters long; the limit is 300"
    )


def test_a_code_with_spaces_is_refused():
    doc = minimal_doc()
    item(doc, 0, 0)["code"] = "A 1"

    assert refused(as_bytes(doc), "json").startswith(
        '$.competencies[0].children[0].code: "A 1" is not a valid code'
    )


def test_a_scale_whose_code_is_stored_with_other_levels_is_refused():
    doc = minimal_doc()
    doc["scale"]["code"] = "milestone-test"  # stored by the factory with 0 to 5 in half steps

    message = refused(as_bytes(doc), "json")

    assert message.startswith(
        '$.scale.code: a scale "milestone-test" already exists with other levels or labels'
    )


def test_deeply_nested_json_is_refused_without_a_crash():
    raw = b"[" * 100_000 + b"]" * 100_000

    assert "not valid JSON" in refused(raw, "json")


def test_a_huge_number_is_refused_cleanly():
    doc = minimal_doc()
    item(doc, 0, 0)["descriptors"][0]["level"] = 0  # replaced below with 5,000 digits
    raw = as_bytes(doc).replace(b'"level": 0', b'"level": ' + b"9" * 5000)

    assert "must be a number from 0 to 99.9" in refused(raw, "json")


# --- CSV ----------------------------------------------------------------------------------


def test_malformed_csv_names_the_line():
    raw = csv_with({17: 'competency,A1,A,"First item,,The first thing.'})

    message = refused(raw, "csv")

    assert message == "line 17: not valid CSV: unexpected end of data"


def test_a_csv_row_with_too_few_columns_names_the_line():
    raw = csv_with({20: "competency,A2,A,Second item"})

    message = refused(raw, "csv")

    assert message == (
        "line 20: expected 6 columns (record, code, parent, title, level, text), found 4"
    )


def test_csv_that_is_not_utf8_names_the_line():
    raw = csv_with({17: "competency,A1,A,Caf\u00e9,,"}).replace("\u00e9".encode(), b"\xe9")

    assert refused(raw, "csv").startswith("line 17: the file is not UTF-8 text")


def test_csv_with_an_unknown_scale_names_the_meta_line():
    raw = csv_with({10: "meta,scale,,,,no-such-scale"}, drop=(11, 12, 13, 14, 15))

    message = refused(raw, "csv")

    assert message.startswith('line 10, column "text" (scale): unknown scale "no-such-scale"')


def test_csv_duplicate_codes_name_the_line():
    raw = csv_with({20: "competency,A1,A,Second item,,"})

    message = refused(raw, "csv")

    assert message == ('line 20, column "code": duplicate code "A1"; it is already used at line 17')


def test_csv_level_outside_the_scale_names_the_line():
    raw = csv_with({19: "level,A1,,,3.5,Finishes."})

    message = refused(raw, "csv")

    assert message == (
        'line 19, column "level": level 3.5 is not on the scale "three-step" '
        "(its levels are 1, 2, 3)"
    )


def test_csv_level_that_is_not_a_number_names_the_line():
    raw = csv_with({19: "level,A1,,,three,Finishes."})

    assert refused(raw, "csv").startswith('line 19, column "level": must be a number')


def test_csv_missing_title_names_the_line():
    raw = csv_with({20: "competency,A2,A,,,"})

    assert refused(raw, "csv") == 'line 20, column "title": is missing or empty; it is required'


def test_csv_missing_meta_row_is_named():
    raw = csv_with(drop=(3,))

    assert refused(raw, "csv") == 'meta row "version": is missing or empty; it is required'


def test_csv_with_an_unknown_column_is_refused():
    raw = csv_with({1: "record,code,parent,title,level,txt"})

    assert refused(raw, "csv") == (
        'line 1: unknown column "txt"; the header must be record,code,parent,title,level,text'
    )


def test_csv_with_an_unknown_record_type_is_refused():
    raw = csv_with({21: "competence,B,,Standalone item,,"})

    assert refused(raw, "csv").startswith(
        'line 21, column "record": unknown record type "competence"'
    )


def test_csv_with_an_unknown_parent_is_refused():
    raw = csv_with({20: "competency,A2,Z,Second item,,"})

    assert refused(raw, "csv") == (
        'line 20, column "parent": "Z" is not the code of a competency in this file'
    )


def test_csv_with_a_grandchild_is_refused():
    raw = csv_with({20: "competency,A2,A1,Second item,,"})

    assert "frameworks have two levels" in refused(raw, "csv")


def test_csv_level_row_for_an_unknown_competency_is_refused():
    raw = csv_with({22: "level,C,,,2,Half way."})

    assert refused(raw, "csv") == (
        'line 22, column "code": "C" is not the code of a competency in this file'
    )


def test_csv_values_in_columns_a_record_does_not_use_are_refused():
    raw = csv_with({18: "level,A1,,Title here,1,Begins."})

    assert refused(raw, "csv") == 'line 18, column "title": must be empty in a level row'


def test_csv_meta_field_given_twice_is_refused():
    raw = csv_with({9: "meta,name,,,,Other name"})

    assert refused(raw, "csv") == (
        'line 9, column "code": meta field "name" is already given at line 4'
    )


def test_an_empty_csv_file_is_refused():
    assert refused(b"", "csv").startswith("line 1: the file is empty")


# --- Size ---------------------------------------------------------------------------------


class CountingStream(io.RawIOBase):
    """A stream of `total` spaces made up on the fly; counts what was read."""

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.remaining)
        buffer[:n] = b" " * n
        self.remaining -= n
        self.read_bytes += n
        return n


def test_a_50_mb_file_is_refused_by_its_size_without_being_read(tmp_path, settings):
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(FIFTY_MB)  # sparse: takes no disk space or memory
    before = row_counts()
    tracemalloc.start()

    with path.open("rb") as file:
        with pytest.raises(FrameworkImportError) as caught:
            framework_import(file=file, fmt="json")
        position = file.tell()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert str(caught.value) == (
        "the file is 52,428,800 bytes; the limit is 5,242,880 bytes (FRAMEWORK_IMPORT_MAX_BYTES)"
    )
    assert position == 0
    assert peak < 1024 * 1024
    assert row_counts() == before


def test_a_50_mb_stream_of_unknown_size_is_abandoned_just_past_the_limit():
    stream = CountingStream(FIFTY_MB)
    before = row_counts()
    tracemalloc.start()

    with pytest.raises(FrameworkImportError) as caught:
        framework_import(file=stream, fmt="json")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert str(caught.value) == (
        "the file is more than 5,242,880 bytes; the limit is 5,242,880 bytes "
        "(FRAMEWORK_IMPORT_MAX_BYTES)"
    )
    assert stream.read_bytes == 5 * 1024 * 1024 + 1
    assert peak < 8 * 1024 * 1024  # the limit plus a chunk, never the 50 MB
    assert row_counts() == before


def test_the_size_limit_comes_from_settings(settings):
    settings.FRAMEWORK_IMPORT_MAX_BYTES = 100

    message = refused(as_bytes(DOC), "json")

    assert message.startswith("the file is more than 100 bytes; the limit is 100 bytes")


def test_a_file_exactly_at_the_limit_is_accepted(settings):
    raw = as_bytes(DOC)
    settings.FRAMEWORK_IMPORT_MAX_BYTES = len(raw)

    result = framework_import(file=io.BytesIO(raw), fmt="json")

    assert result.created

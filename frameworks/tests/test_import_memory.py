"""A framework file within the byte limit that would parse into far more memory than its size
is refused while it is read, naming where; a fresh process checking it stays below 300 MB."""

from __future__ import annotations

import io

import pytest

from frameworks import importers
from frameworks.importers import FrameworkImportError
from frameworks.services import framework_import
from frameworks.tests.factories import row_counts
from tests.memory import BUDGET_MB, peak_mb, write_repeated

pytestmark = pytest.mark.django_db

LIMIT = 5 * 1024 * 1024  # FRAMEWORK_IMPORT_MAX_BYTES's default


def _numbers_json(path) -> None:
    """5 MB of one-digit numbers: 2.6 million Decimals (~100 bytes each) once parsed."""
    write_repeated(path, b'{"format":"continuum-framework","x":[', b"1,", LIMIT - 100, b"1]}")


def _rows_csv(path) -> None:
    """5 MB of short rows: 750,000 dicts of six cells once read."""
    write_repeated(path, b"record,code,parent,title,level,text\n", b"c,,,,,\n", LIMIT - 100)


@pytest.mark.parametrize(("fmt", "write"), [("json", _numbers_json), ("csv", _rows_csv)])
def test_checking_a_five_mb_framework_file_stays_below_the_budget(tmp_path, fmt, write):
    path = tmp_path / f"swollen.{fmt}"
    write(path)
    assert LIMIT - 1024 * 1024 < path.stat().st_size <= LIMIT
    peak, printed = peak_mb(
        f"""
        from frameworks import importers
        try:
            with open({str(path)!r}, "rb") as file:
                importers.load(file, fmt={fmt!r}, limit={LIMIT})
        except importers.FrameworkImportError as exc:
            print(exc)
        """
    )
    assert "more than" in printed
    assert peak < BUDGET_MB, f"peak {peak} MB"


def test_a_json_file_of_too_many_values_names_the_place_and_changes_nothing():
    raw = b'{"format":"continuum-framework","x":[' + b"1," * importers.MAX_JSON_VALUES + b"1]}"
    before = row_counts()
    with pytest.raises(FrameworkImportError) as caught:
        framework_import(file=io.BytesIO(raw), fmt="json")
    # Five values come before the list's items (the object, two keys, a string, the list).
    assert str(caught.value) == (
        f"$.x[{importers.MAX_JSON_VALUES - 5}]: the file is too large to read: "
        "more than 500,000 values"
    )
    assert row_counts() == before


def test_a_csv_file_of_too_many_rows_names_the_first_line_over():
    raw = b"record,code,parent,title,level,text\n" + b"c,,,,,\n" * (importers.MAX_CSV_ROWS + 3)
    before = row_counts()
    with pytest.raises(FrameworkImportError) as caught:
        framework_import(file=io.BytesIO(raw), fmt="csv")
    assert str(caught.value) == (
        f"line {importers.MAX_CSV_ROWS + 2}: more than 50,000 rows; no framework is this large"
    )
    assert row_counts() == before

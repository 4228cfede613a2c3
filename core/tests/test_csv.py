"""core.csv: cells a spreadsheet would run are neutralised, and restore undoes exactly that."""

from __future__ import annotations

import csv
import io

import pytest

from core import csv as safe_csv

VALUES = ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "'", "'=1", "''x", "'Twas", "plain", ""]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "'x"])
def test_a_formula_start_or_a_quote_gets_a_leading_quote(value):
    assert safe_csv.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "", "1-2", "a=b", " =1"])
def test_other_cells_are_left_alone(value):
    assert safe_csv.neutralise(value) == value


@pytest.mark.parametrize("value", VALUES)
def test_restore_undoes_neutralise(value):
    assert safe_csv.restore(safe_csv.neutralise(value)) == value


def test_restore_keeps_a_quote_that_neutralise_would_not_have_added():
    assert safe_csv.restore("'Twas") == "'Twas"


def test_the_writer_neutralises_every_cell_and_quotes_rows_with_a_bare_carriage_return():
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer, lineterminator="\n")
    writer.writerows([["=1", 2, None], ["a\r=1", "b"]])

    assert buffer.getvalue() == '\'=1,2,\n"a\r=1","b"\n'
    rows = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert rows == [["'=1", "2", ""], ["a\r=1", "b"]]

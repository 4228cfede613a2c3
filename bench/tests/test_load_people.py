"""The load test's `--people` option (`bench.load._people_classes`)."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from bench.load import PEOPLE_CLASSES, _people_classes

LOCUSTFILE = Path(__file__).resolve().parents[1] / "locustfile.py"


def _parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog="load")


def test_each_role_names_a_simulated_person_of_the_locustfile():
    # Parsed, not imported: the locustfile reads its people file when imported.
    defined = {
        node.name
        for node in ast.parse(LOCUSTFILE.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef)
    }
    assert set(PEOPLE_CLASSES.values()) <= defined


def test_roles_map_to_their_people_once_each_in_the_order_given():
    assert _people_classes(_parser(), "directors, learners,directors") == ["Director", "Learner"]


@pytest.mark.parametrize("people", ["nurses", "learners,nurses", " , "])
def test_an_unknown_or_empty_role_is_a_usage_error_naming_the_choices(people, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _people_classes(_parser(), people)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--people" in error and "learners, coaches, directors" in error

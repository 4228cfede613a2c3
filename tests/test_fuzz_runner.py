"""bin/fuzz.py's own logic: where path parameters get real values, and the config it writes.

The fuzzer itself runs in CI's `schemathesis` stage (`make fuzz`); these check the parts that
decide what it sends without starting a server.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("fuzz_runner", ROOT / "bin" / "fuzz.py")
assert _spec is not None and _spec.loader is not None
fuzz = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = fuzz  # dataclasses look their module up there
_spec.loader.exec_module(fuzz)


def test_a_parameter_takes_the_ids_of_the_list_one_level_up_its_path():
    lists = {"/api/v1/goals/": [{"id": 3, "title": "a"}, {"id": 5, "title": "b"}]}
    assert fuzz._values_for("/api/v1/goals/{id}/", "id", lists, {}) == [3, 5]


def test_a_named_parameter_falls_back_to_fields_seen_elsewhere_but_a_bare_id_does_not():
    seen: dict[str, list[object]] = {}
    fuzz._remember([{"id": 9, "learner": {"id": 18, "name": "Ana"}}], seen)
    template = "/api/v1/programs/{program_id}/periods/{period_id}/learners/{learner_id}/packet/"
    assert fuzz._values_for(template, "learner_id", {}, seen) == [18]
    assert fuzz._values_for("/api/v1/check-ins/{id}/", "id", {}, seen) == []


def test_list_answers_are_read_as_pages_lists_or_single_objects():
    assert fuzz._items({"next": None, "results": [{"id": 1}]}) == [{"id": 1}]
    assert fuzz._items([{"id": 2}, "stray"]) == [{"id": 2}]
    assert fuzz._items({"id": 3}) == [{"id": 3}]
    assert fuzz._items(None) == []


def test_the_config_binds_each_path_parameter_to_its_own_dictionary(tmp_path):
    target = tmp_path / "schemathesis.toml"
    fuzz._config(
        target,
        {
            ("/api/v1/frameworks/{code}/{version}/", "code"): ["im-milestones"],
            ("/api/v1/frameworks/{code}/{version}/", "version"): ["2.0"],
        },
    )
    config = tomllib.loads(target.read_text())
    assert config["phases"]["coverage"]["unexpected-methods"] == []
    (operation,) = config["operations"]
    assert operation["include-path"] == "/api/v1/frameworks/{code}/{version}/"
    code = operation["parameters"]["path.code"]["dictionary"]
    assert config["dictionaries"][code]["values"] == ["im-milestones"]
    assert set(operation["parameters"]) == {"path.code", "path.version"}


def test_a_role_passes_only_with_every_operation_tested_and_nothing_failed():
    report = {
        "operations": {"total": 115, "tested": 115},
        "test_cases": {"generated": 2500, "with_failures": 0, "errored": 0},
        "errors": [],
        "valid_rates": {"GET /api/v1/me/": {"fuzzing": {"accepted": 3}}},
    }
    result = fuzz._result(role="learner", data=report, seconds=100.0, timed_out=False)
    assert result.passed
    assert result.answered_2xx == 1
    untested = {**report, "operations": {"total": 115, "tested": 114}}
    assert not fuzz._result(role="learner", data=untested, seconds=1.0, timed_out=False).passed
    failing = {**report, "test_cases": {"generated": 2500, "with_failures": 1}}
    assert not fuzz._result(role="learner", data=failing, seconds=1.0, timed_out=False).passed
    assert not fuzz._result(role="learner", data={}, seconds=300.0, timed_out=True).passed

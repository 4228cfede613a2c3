"""Where the CASE test material from OpenSALT is (../shared/interop/case beside the checkout,
as bin/xapi-conformance finds its suite, or /work/shared/interop/case), and the CASE JSON
Schema and OpenAPI description as validators."""

from __future__ import annotations

import copy
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = (REPO.parent / "shared" / "interop" / "case", Path("/work/shared/interop/case"))
SCHEMA_FILE = "case-v1p0-cfpackage-schema.json"
OPENAPI_FILE = "case-v1p0-openapi.json"
NOT_PACKAGES = {SCHEMA_FILE, OPENAPI_FILE}


def case_dir() -> Path | None:
    return next((path for path in CANDIDATES if path.is_dir()), None)


def require_case_dir() -> Path:
    """The folder, or skip (fail under CONTINUUM_REQUIRE_SERVICES=1, as CI sets it)."""
    found = case_dir()
    if found is None:
        reason = f"the CASE test material is not at {' or '.join(map(str, CANDIDATES))}"
        if os.environ.get("CONTINUUM_REQUIRE_SERVICES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def package_names() -> list[str]:
    """The packages to import, read at collection (one placeholder if the folder is absent,
    so the test still runs and skips or fails with the reason)."""
    found = case_dir()
    if found is None:
        return ["(absent)"]
    return sorted(p.name for p in found.glob("*.json") if p.name not in NOT_PACKAGES)


@cache
def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((require_case_dir() / name).read_text())
    return loaded


def package_validator() -> jsonschema.Draft4Validator:
    # Without a date-time checker, a date is valid under both branches of the schema's
    # oneOf (date | date-time) and every package with one would fail.
    assert "date-time" in jsonschema.FormatChecker().checkers, "install rfc3339-validator"
    return jsonschema.Draft4Validator(_load(SCHEMA_FILE), format_checker=jsonschema.FormatChecker())


def _flatten(node: Any) -> Any:
    """OpenAPI 2 writes CFItem as allOf [CFPckgItem, {CFDocumentURI}] with
    additionalProperties false on both, which no object satisfies as JSON Schema; the shape
    it means is the two merged. Merge every such allOf."""
    if isinstance(node, list):
        return [_flatten(entry) for entry in node]
    if not isinstance(node, dict):
        return node
    node = {key: _flatten(value) for key, value in node.items()}
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node.pop("allOf"):
            merged["properties"].update(part.get("properties", {}))
            merged["required"].extend(part.get("required", []))
            if part.get("additionalProperties") is False:
                merged["additionalProperties"] = False
        node.update(merged)
    return node


def _deref(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_deref(entry, definitions) for entry in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) == 1:
        return _deref(copy.deepcopy(definitions[node["$ref"].rsplit("/", 1)[1]]), definitions)
    return {key: _deref(value, definitions) for key, value in node.items()}


def response_validator(path: str, status: str = "200") -> jsonschema.Draft4Validator:
    """The schema the CASE OpenAPI description gives a GET's response at `path`."""
    spec = _load(OPENAPI_FILE)
    definitions = spec["definitions"]
    schema = spec["paths"][path]["get"]["responses"][status]["schema"]
    resolved = _flatten(_deref(schema, definitions))
    return jsonschema.Draft4Validator(resolved, format_checker=jsonschema.FormatChecker())


def errors(validator: jsonschema.Draft4Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]

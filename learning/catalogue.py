"""Reading catalogue files (CSV or JSON) into checked rows, with an error per line and field.

The file format is documented in docs/learning.md. Parsing never writes; the service
`catalogue_import` writes all rows or none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug

from core.jsonlimits import JsonTooLarge, json_bounds_check
from frameworks.models import Competency, Framework
from learning.codes import normalise_code, system_of
from learning.models import ICD10CM, SNOMED, LearningResource
from programs.models import Program

FORMAT_NAME = "continuum-learning-catalogue"
LIST_SEPARATOR = ";"
RESOURCE_COLUMNS = (
    "key",
    "title",
    "description",
    "url",
    "kind",
    "duration_minutes",
    "cme_credit",
    "competencies",
    "codes",
    "level_min",
    "level_max",
    "stages",
    "keywords",
    "reviewed_on",
    "active",
)
PAIR_COLUMNS = ("snomed", "icd10cm", "display")
STAGES = {value for value, _label in Program.Stage.choices}
KINDS = {value for value, _label in LearningResource.Kind.choices}
_url_validator = URLValidator(schemes=["http", "https"])
# Bounds that keep checking a file (at most IMPORT_MAX_BYTES) within a small, known memory
# budget whatever its bytes hold: rows and problems are kept in memory until the end.
MAX_ROWS = 20_000
MAX_ERRORS = 200
MAX_JSON_VALUES = 500_000


@dataclass(frozen=True)
class RowError:
    where: str  # "line 7" for CSV, "resources[3]" for JSON
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, field '{self.field}': {self.message}"


class CatalogueError(Exception):
    """The file cannot be imported; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass
class ResourceRow:
    where: str
    key: str
    values: dict[str, Any]
    competency_refs: list[tuple[str, str | None, str]]  # framework code, version, competency code
    codes: list[tuple[str, str, str]]  # system, code, display
    competency_ids: list[int] = field(default_factory=list)


@dataclass
class PairRow:
    where: str
    snomed: str
    icd10: str
    display: str


@dataclass
class ParsedCatalogue:
    resources: list[ResourceRow]
    pairs: list[PairRow]


def parse_catalogue(content: bytes, *, filename: str = "") -> ParsedCatalogue:
    """Read a CSV or JSON catalogue file and check every row; raise CatalogueError if any fail."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogueError([RowError("file", "-", "is not UTF-8 text")]) from exc
    looks_json = filename.lower().endswith(".json") or text.lstrip().startswith(("{", "["))
    raw_resources, raw_pairs = _read_json(text) if looks_json else _read_csv(text)
    if len(raw_resources) + len(raw_pairs) > MAX_ROWS:
        raise CatalogueError(
            [RowError("file", "-", f"more than {MAX_ROWS:,} rows; split the file")]
        )
    errors = _Problems()
    resources = [_check_resource(where, raw, errors) for where, raw in raw_resources]
    pairs = [_check_pair(where, raw, errors) for where, raw in raw_pairs]
    seen: dict[str, str] = {}
    for row in resources:
        if row.key and row.key in seen:
            errors.append(RowError(row.where, "key", f"'{row.key}' repeats {seen[row.key]}"))
        seen.setdefault(row.key, row.where)
    _resolve_competencies(resources, errors)
    if errors:
        raise CatalogueError(errors.reported())
    return ParsedCatalogue(resources=resources, pairs=pairs)


class _Problems(list[RowError]):
    """The problems found, of which the first MAX_ERRORS are kept (and their number)."""

    found = 0

    def append(self, error: RowError) -> None:
        self.found += 1
        if len(self) < MAX_ERRORS:
            super().append(error)

    def reported(self) -> list[RowError]:
        more = self.found - len(self)
        extra = [RowError("file", "-", f"{more:,} more problems not listed")] if more else []
        return [*self, *extra]


def _read_json(text: str) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    try:
        json_bounds_check(text, max_values=MAX_JSON_VALUES)
    except JsonTooLarge as exc:
        problem = "not valid JSON" if exc.too_deep else "too large"
        raise CatalogueError([RowError(exc.path, "-", f"{problem}: {exc.message}")]) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            [RowError(f"line {exc.lineno}", "-", f"not valid JSON ({exc.msg})")]
        ) from exc
    if isinstance(document, list):
        document = {"resources": document}
    if not isinstance(document, dict):
        raise CatalogueError([RowError("file", "-", "expected a JSON object or list")])
    fmt = document.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise CatalogueError([RowError("file", "format", f"expected '{FORMAT_NAME}'")])
    resources = document.get("resources", [])
    pairs = document.get("code_pairs", [])
    if not isinstance(resources, list) or not isinstance(pairs, list):
        raise CatalogueError([RowError("file", "-", "'resources' and 'code_pairs' are lists")])
    return (
        [(f"resources[{i}]", raw) for i, raw in enumerate(resources)],
        [(f"code_pairs[{i}]", raw) for i, raw in enumerate(pairs)],
    )


def _read_csv(text: str) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    is_pairs = "snomed" in header and "icd10cm" in header and "title" not in header
    expected = PAIR_COLUMNS if is_pairs else RESOURCE_COLUMNS
    unknown = [name for name in header if name not in expected]
    if not header or unknown:
        message = f"unknown columns {unknown}" if unknown else "the header row is missing"
        raise CatalogueError([RowError("line 1", "-", f"{message}; expected {list(expected)}")])
    rows: list[tuple[str, Any]] = []
    for raw in reader:
        where = f"line {reader.line_num}"
        if len(rows) >= MAX_ROWS:
            raise CatalogueError([RowError(where, "-", f"more than {MAX_ROWS:,} rows")])
        if None in raw:
            raise CatalogueError([RowError(where, "-", "more cells than header columns")])
        if not any((value or "").strip() for value in raw.values()):
            continue
        rows.append((where, {k: (v or "").strip() for k, v in raw.items()}))
    return ([], rows) if is_pairs else (rows, [])


def _split(value: Any) -> list[Any]:
    """A list from JSON, or a ';'-separated CSV cell."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [part.strip() for part in str(value).split(LIST_SEPARATOR) if part.strip()]


def _check_resource(where: str, raw: Any, errors: list[RowError]) -> ResourceRow:
    row = ResourceRow(where=where, key="", values={}, competency_refs=[], codes=[])
    if not isinstance(raw, dict):
        errors.append(RowError(where, "-", "expected an object"))
        return row

    def fail(name: str, message: str) -> None:
        errors.append(RowError(where, name, message))

    unknown = sorted(set(raw) - set(RESOURCE_COLUMNS))
    if unknown:
        fail(unknown[0], f"unknown field (known: {', '.join(RESOURCE_COLUMNS)})")
    key = str(raw.get("key") or "").strip()
    try:
        validate_slug(key)
        if len(key) > 80:
            raise ValidationError("too long")
        row.key = key
    except ValidationError:
        fail("key", "required: letters, digits, '-' or '_', at most 80 characters")
    values = row.values
    values["title"] = str(raw.get("title") or "").strip()
    if not values["title"] or len(values["title"]) > 200:
        fail("title", "required, at most 200 characters")
    values["description"] = str(raw.get("description") or "").strip()
    if len(values["description"]) > 4000:
        fail("description", "at most 4000 characters")
    values["url"] = str(raw.get("url") or "").strip()
    if values["url"]:
        try:
            _url_validator(values["url"])
        except ValidationError:
            fail("url", "must be an http(s) address")
    values["kind"] = str(raw.get("kind") or "").strip().lower()
    if values["kind"] not in KINDS:
        fail("kind", f"must be one of {', '.join(sorted(KINDS))}")
    values["duration_minutes"] = _number(raw.get("duration_minutes"), int, 1, 600)
    if values["duration_minutes"] is False:
        fail("duration_minutes", "a whole number of minutes from 1 to 600")
    values["cme_credit"] = _number(raw.get("cme_credit"), Decimal, Decimal(0), Decimal("99.99"))
    if values["cme_credit"] is False:
        fail("cme_credit", "a number of credit hours from 0 to 99.99")
    elif values["cme_credit"] is None:
        values["cme_credit"] = Decimal(0)
    for bound in ("level_min", "level_max"):
        values[bound] = _number(raw.get(bound), Decimal, Decimal(0), Decimal(9))
        if values[bound] is False:
            fail(bound, "a level from 0 to 9, e.g. 2.5")
    low, high = values["level_min"], values["level_max"]
    if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
        fail("level_max", "must not be below level_min")
    stages = [str(s).strip().lower() for s in _split(raw.get("stages"))]
    bad_stages = [s for s in stages if s not in STAGES]
    if bad_stages:
        fail("stages", f"unknown {bad_stages}; use {', '.join(sorted(STAGES))}")
    values["stages"] = sorted(set(stages))
    values["keywords"] = str(raw.get("keywords") or "").strip()[:400]
    reviewed = str(raw.get("reviewed_on") or "").strip()
    values["reviewed_on"] = None
    if reviewed:
        try:
            values["reviewed_on"] = dt.date.fromisoformat(reviewed)
        except ValueError:
            fail("reviewed_on", "a date like 2025-01-31")
    active = raw.get("active", True)
    if isinstance(active, str):
        active = active.strip().lower() not in ("0", "false", "no")
    values["is_active"] = bool(active)
    for ref in _split(raw.get("competencies")):
        parsed = _competency_ref(ref)
        if parsed is None:
            fail("competencies", f"'{ref}' is not 'framework:CODE' (or 'framework@version:CODE')")
        else:
            row.competency_refs.append(parsed)
    for entry in _split(raw.get("codes")):
        code = _code(entry)
        if isinstance(code, str):
            fail("codes", code)
        else:
            row.codes.append(code)
    return row


def _number(value: Any, kind: type, low: Any, high: Any) -> Any:
    """The number, None when blank, or False when it is not a number within [low, high]."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    try:
        number = kind(str(value)) if kind is Decimal else kind(value)
    except (ValueError, TypeError, InvalidOperation):
        return False
    if kind is int and str(value).strip() not in (str(number), f"{number}.0"):
        return False
    if kind is Decimal and not number.is_finite():
        return False
    return number if low <= number <= high else False


def _competency_ref(ref: Any) -> tuple[str, str | None, str] | None:
    if not isinstance(ref, str) or ":" not in ref:
        return None
    framework, code = (part.strip() for part in ref.rsplit(":", 1))
    version = None
    if "@" in framework:
        framework, version = (part.strip() for part in framework.split("@", 1))
    if not framework or not code:
        return None
    return framework, version, code


def _code(entry: Any) -> tuple[str, str, str] | str:
    """(system, code, display) from {system, code, display} or "system:code"; else a reason."""
    if isinstance(entry, dict):
        system_name = str(entry.get("system") or "")
        raw_code = str(entry.get("code") or "")
        display = str(entry.get("display") or "").strip()[:200]
    elif isinstance(entry, str) and ":" in entry and not entry.startswith("http"):
        system_name, raw_code = entry.split(":", 1)
        display = ""
    elif isinstance(entry, str) and "|" in entry:
        system_name, raw_code = entry.split("|", 1)
        display = ""
    else:
        return f"'{entry}' is not 'snomed:CODE' or 'icd10cm:CODE'"
    system = system_of(system_name)
    if system is None:
        return f"unknown code system '{system_name}' (use snomed or icd10cm)"
    code = normalise_code(system, raw_code)
    if code is None:
        label = "SNOMED CT concept id" if system == SNOMED else "ICD-10-CM code"
        return f"'{raw_code}' is not a valid {label}"
    return system, code, display


def _check_pair(where: str, raw: Any, errors: list[RowError]) -> PairRow:
    pair = PairRow(where=where, snomed="", icd10="", display="")
    if not isinstance(raw, dict):
        errors.append(RowError(where, "-", "expected an object"))
        return pair
    snomed = normalise_code(SNOMED, str(raw.get("snomed") or ""))
    icd10 = normalise_code(ICD10CM, str(raw.get("icd10cm") or ""))
    if snomed is None:
        errors.append(RowError(where, "snomed", "a SNOMED CT concept id is required"))
    if icd10 is None:
        errors.append(RowError(where, "icd10cm", "an ICD-10-CM code is required"))
    pair.snomed, pair.icd10 = snomed or "", icd10 or ""
    pair.display = str(raw.get("display") or "").strip()[:200]
    return pair


def _resolve_competencies(rows: list[ResourceRow], errors: list[RowError]) -> None:
    """Competency references → ids; a framework without a version means its newest version."""
    refs = {ref for row in rows for ref in row.competency_refs}
    if not refs:
        return
    framework_codes = {framework for framework, _version, _code in refs}
    frameworks = list(Framework.objects.filter(code__in=framework_codes).order_by("imported_at"))
    newest: dict[str, Framework] = {}
    by_version: dict[tuple[str, str], Framework] = {}
    for candidate in frameworks:
        by_version[(candidate.code, candidate.version)] = candidate
        current = newest.get(candidate.code)
        if current is None or _version_key(candidate.version) >= _version_key(current.version):
            newest[candidate.code] = candidate
    competency_codes = {code for _framework, _version, code in refs}
    competencies = {
        (c.framework_id, c.code): c.pk
        for c in Competency.objects.filter(
            framework__in=frameworks, code__in=competency_codes
        ).only("pk", "framework_id", "code")
    }
    for row in rows:
        for framework_code, version, code in row.competency_refs:
            framework: Framework | None = (
                by_version.get((framework_code, version)) if version else newest.get(framework_code)
            )
            label = f"{framework_code}{'@' + version if version else ''}:{code}"
            if framework is None:
                errors.append(
                    RowError(row.where, "competencies", f"framework in '{label}' is not loaded")
                )
                continue
            competency_id = competencies.get((framework.pk, code))
            if competency_id is None:
                errors.append(
                    RowError(row.where, "competencies", f"no competency '{code}' in {framework}")
                )
            else:
                row.competency_ids.append(competency_id)


def _version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """'2.10' sorts after '2.9'; non-numeric parts sort after numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.split("."))

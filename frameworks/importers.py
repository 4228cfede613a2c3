"""Read framework files (our JSON schema, our CSV layout) into validated in-memory objects.

Nothing here writes to the database: `frameworks.services.framework_import` resolves the scale and
writes. Every problem raises one `FrameworkImportError` that says where (a JSON path, or a CSV
line and column) and what is wrong. The formats are documented in docs/frameworks.md.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from core.csv import restore
from core.jsonlimits import JsonTooLarge, json_bounds_check
from frameworks.models import Competency, Framework, LevelDescriptor, RatingScale, ScaleLevel

FORMAT_ID = "continuum-framework"
FORMAT_VERSION = 1
CSV_COLUMNS = ("record", "code", "parent", "title", "level", "text")
CSV_RECORDS = ("meta", "scale-level", "competency", "level")
META_KEYS = (
    "code",
    "version",
    "name",
    "kind",
    "effective_date",
    "source",
    "source_url",
    "licence_note",
    "scale",
    "scale_name",
    "scale_kind",
)
READ_CHUNK = 64 * 1024
# A file within FRAMEWORK_IMPORT_MAX_BYTES can still parse into far more memory than its size
# (every number becomes a Decimal, every CSV row a dict): these bound what is held at once. The
# largest framework we know has a few thousand rows.
MAX_JSON_VALUES = 500_000
MAX_CSV_ROWS = 50_000

# Our own JSON and CSV, CASE 1.0 packages (frameworks/case.py) and MedBiquitous Competency
# Framework XML (frameworks/medbiq.py).
Format = Literal["json", "csv", "case", "medbiq"]
FORMATS: tuple[Format, ...] = ("json", "csv", "case", "medbiq")

FRAMEWORK_CODE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*\Z")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
ITEM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
MAX_LEVEL = Decimal("99.9")  # LevelDescriptor.level / ScaleLevel.value: 3 digits, 1 decimal


def _max_length(model: Any, name: str) -> int:
    length = model._meta.get_field(name).max_length
    assert isinstance(length, int)
    return length


# Field limits follow the model columns, so a file that passes here always fits the database.
LIMITS = {
    "framework.code": _max_length(Framework, "code"),
    "framework.version": _max_length(Framework, "version"),
    "framework.name": _max_length(Framework, "name"),
    "framework.source": _max_length(Framework, "source"),
    "framework.source_url": _max_length(Framework, "source_url"),
    "framework.licence_note": 4000,
    "scale.code": _max_length(RatingScale, "code"),
    "scale.name": _max_length(RatingScale, "name"),
    "scale.label": _max_length(ScaleLevel, "label"),
    "scale.anchor": _max_length(ScaleLevel, "anchor"),
    "competency.code": _max_length(Competency, "code"),
    "competency.title": _max_length(Competency, "title"),
    "competency.description": 4000,
    "descriptor.text": _max_length(LevelDescriptor, "text"),
    "date": 30,
}


# --- Where a problem is -----------------------------------------------------------------------


class Where:
    """A place in the file; `at(field)` names one field there."""

    def at(self, field: str = "") -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class JsonWhere(Where):
    path: str = "$"

    def at(self, field: str = "") -> str:
        return f"{self.path}.{field}" if field else self.path

    def key(self, name: str) -> JsonWhere:
        return JsonWhere(f"{self.path}.{name}")

    def index(self, number: int) -> JsonWhere:
        return JsonWhere(f"{self.path}[{number}]")


@dataclass(frozen=True)
class CsvWhere(Where):
    line: int
    # field name -> CSV column, for fields stored in a column of another name
    columns: tuple[tuple[str, str], ...] = ()

    def at(self, field: str = "") -> str:
        if not field:
            return f"line {self.line}"
        column = dict(self.columns).get(field, field)
        if column == field:
            return f'line {self.line}, column "{column}"'
        return f'line {self.line}, column "{column}" ({field})'


@dataclass(frozen=True)
class TextWhere(Where):
    """A line and column of the raw text, for syntax errors."""

    line: int
    column: int | None = None

    def at(self, field: str = "") -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")


@dataclass(frozen=True)
class CsvMissingMeta(Where):
    def at(self, field: str = "") -> str:
        return f'meta row "{field}"' if field else "meta rows"


@dataclass(frozen=True)
class FileWhere(Where):
    """The file as a whole (size, encoding, a conflict with the database)."""

    def at(self, field: str = "") -> str:
        return ""


NOWHERE = FileWhere()


class FrameworkImportError(ValidationError):
    """One clear message about a bad framework file: where, which field, what is wrong."""

    def __init__(self, problem: str, *, where: Where | None = None, field: str = "") -> None:
        self.problem = problem
        self.location = where.at(field) if where is not None else ""
        text = f"{self.location}: {problem}" if self.location else problem
        super().__init__(text, code="framework_import")

    def __str__(self) -> str:
        return str(self.message)


# --- The validated objects --------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleLevelData:
    value: Decimal
    label: str
    anchor: str = ""


@dataclass(frozen=True)
class ScaleData:
    code: str
    name: str
    kind: str
    levels: tuple[ScaleLevelData, ...]  # sorted by value

    def values(self) -> list[Decimal]:
        return [level.value for level in self.levels]


@dataclass(frozen=True)
class DescriptorData:
    level: Decimal
    text: str
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class CompetencyData:
    code: str
    title: str
    description: str = ""
    parent: str | None = None
    descriptors: tuple[DescriptorData, ...] = ()  # sorted by level
    where: Where = field(default=NOWHERE, compare=False, repr=False)
    # CASE identifiers a package brings (the item's, and its isChildOf association's).
    uuid: UUID | None = field(default=None, compare=False, repr=False)
    child_of_uuid: UUID | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class LinkData:
    """A CASE association between items that is not the hierarchy (kept as a CompetencyLink
    when both ends are known)."""

    origin: UUID
    destination: UUID
    kind: str
    uuid: UUID
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class FrameworkData:
    """One framework version as read from a file or from the database.

    `competencies` is depth-first: each domain is followed by its items. Two values compare
    equal when their content is the same; where things were in the file does not count, and
    neither does the scale's definition (the service checks it against the database apart).
    """

    code: str
    version: str
    name: str
    kind: str
    effective_date: date | None
    source: str
    source_url: str
    licence_note: str
    scale_code: str
    competencies: tuple[CompetencyData, ...]
    scale: ScaleData | None = field(default=None, compare=False)
    scale_where: Where = field(default=NOWHERE, compare=False, repr=False)
    scale_field: str = field(default="scale", compare=False, repr=False)
    # What a CASE or MedBiquitous file brings beyond the framework itself.
    uuid: UUID | None = field(default=None, compare=False, repr=False)
    links: tuple[LinkData, ...] = field(default=(), compare=False, repr=False)
    # Deviations the importer accepted, each naming the item (shown after the import).
    warnings: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def ratable(self) -> list[CompetencyData]:
        parents = {c.parent for c in self.competencies if c.parent}
        return [c for c in self.competencies if c.code not in parents]

    def domains(self) -> list[CompetencyData]:
        parents = {c.parent for c in self.competencies if c.parent}
        return [c for c in self.competencies if c.code in parents]


# --- Reading bytes ----------------------------------------------------------------------------


def _known_size(file: IO[bytes]) -> int | None:
    size = getattr(file, "size", None)  # Django's UploadedFile
    if isinstance(size, int):
        return size
    try:
        info = os.fstat(file.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _too_big(limit: int, size: int | None) -> FrameworkImportError:
    found = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return FrameworkImportError(
        f"the file is {found}; the limit is {limit:,} bytes (FRAMEWORK_IMPORT_MAX_BYTES)",
        where=NOWHERE,
    )


def read_limited(file: IO[bytes], *, limit: int, size: int | None = None) -> bytes:
    """Read the whole file, refusing one over `limit` bytes without reading it.

    A known size (given, an upload's, or a regular file's) is checked before any read; a
    stream of unknown size is read in chunks and abandoned after `limit + 1` bytes."""
    size = size if size is not None else _known_size(file)
    if size is not None and size > limit:
        raise _too_big(limit, size)
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = file.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise _too_big(limit, None)
    return b"".join(chunks)


def decode(raw: bytes) -> str:
    """UTF-8 text (a byte-order mark is allowed and dropped), or an error naming the line."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FrameworkImportError(
            "the file is UTF-16 text; save it as UTF-8 and import it again", where=NOWHERE
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise FrameworkImportError(
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be read); "
            "save it as UTF-8 and import it again",
            where=TextWhere(line=line),
        ) from None
    return text.removeprefix("\ufeff")


def as_format(value: str) -> Format | None:
    """ "json", "csv", "case" or "medbiq" (any case; "xml" means MedBiquitous) as a Format;
    anything else None."""
    lowered = value.lower()
    if lowered == "xml":
        return "medbiq"
    for fmt in FORMATS:
        if lowered == fmt:
            return fmt
    return None


def guess_format(name: str) -> Format:
    """From the file name: .json (ours or CASE: `sniff` tells them apart), .csv, .xml."""
    fmt = as_format(os.path.splitext(name)[1].lstrip("."))
    if fmt in ("json", "csv", "medbiq"):
        return fmt
    raise FrameworkImportError(
        f'cannot tell the format from the file name "{os.path.basename(name)}"; choose json, '
        "csv, case or medbiq",
        where=NOWHERE,
    )


def sniff(raw: bytes, fmt: Format) -> Format:
    """A .json file that is a CASE package (its first key is CFDocument, or it names one before
    any `format`) is read as CASE."""
    if fmt != "json":
        return fmt
    head = raw[:4096]
    if b'"CFDocument"' in head and b'"continuum-framework"' not in head:
        return "case"
    return fmt


def load(file: IO[bytes], *, fmt: Format, limit: int, size: int | None = None) -> FrameworkData:
    """Read, decode and parse one framework file (CASE and MedBiquitous: see `parse`)."""
    return parse(read_limited(file, limit=limit, size=size), fmt)


def parse(raw: bytes, fmt: Format) -> FrameworkData:
    # The interchange formats build on this module, so they are imported here, not above.
    fmt = sniff(raw, fmt)
    if fmt == "medbiq":
        from frameworks import medbiq

        return medbiq.parse(raw)
    text = decode(raw)
    if fmt == "case":
        from frameworks import case

        return case.parse(text)
    return parse_json(text) if fmt == "json" else parse_csv(text)


# --- Field checks shared by both formats ------------------------------------------------------


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "text"


def _text(value: object, where: Where, name: str, *, limit: str, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FrameworkImportError(f"must be text, not {_describe(value)}", where=where, field=name)
    value = value.strip()
    if required and not value:
        raise FrameworkImportError("is missing or empty; it is required", where=where, field=name)
    if len(value) > LIMITS[limit]:
        raise FrameworkImportError(
            f"is {len(value):,} characters long; the limit is {LIMITS[limit]:,}",
            where=where,
            field=name,
        )
    if "\x00" in value:
        raise FrameworkImportError("contains a NUL character", where=where, field=name)
    return value


def _code(value: object, where: Where, name: str, *, limit: str, pattern: re.Pattern[str]) -> str:
    code = _text(value, where, name, limit=limit)
    if not pattern.match(code):
        allowed = (
            "lower-case letters, digits, - and _"
            if pattern is FRAMEWORK_CODE
            else "letters, digits, '.', '-' and '_', starting with a letter or digit"
        )
        raise FrameworkImportError(
            f'"{code}" is not a valid code; use {allowed} (no spaces)', where=where, field=name
        )
    return code


def _choice(value: object, where: Where, name: str, choices: Iterable[str]) -> str:
    options = list(choices)
    text = _text(value, where, name, limit="framework.name")
    if text not in options:
        raise FrameworkImportError(
            f'"{text}" is not one of: {", ".join(options)}', where=where, field=name
        )
    return text


def _level(value: object, where: Where, name: str, *, from_text: bool) -> Decimal:
    bad = FrameworkImportError(
        "must be a number from 0 to 99.9 with at most one decimal place (such as 2 or 2.5)",
        where=where,
        field=name,
    )
    number: Decimal
    if isinstance(value, bool) or value is None:
        raise bad
    if isinstance(value, str):
        if not from_text:
            raise FrameworkImportError(
                'must be a number, not text (write 2.5, not "2.5")', where=where, field=name
            )
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise bad from None
    elif isinstance(value, (int, float, Decimal)):
        number = Decimal(value)
    else:
        raise bad
    if not number.is_finite() or number < 0 or number > MAX_LEVEL:
        raise bad
    if number != number.quantize(Decimal("0.1")):
        raise bad
    return number


def _date(value: object, where: Where, name: str) -> date | None:
    text = _text(value, where, name, limit="date", required=False)
    if not text:
        return None
    try:
        if not ISO_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise FrameworkImportError(
            f'"{text}" is not a date; write it as YYYY-MM-DD', where=where, field=name
        ) from None


def _url(value: object, where: Where, name: str) -> str:
    text = _text(value, where, name, limit="framework.source_url", required=False)
    if text:
        try:
            URLValidator(schemes=["http", "https"])(text)
        except ValidationError:
            raise FrameworkImportError(
                f'"{text}" is not a web address (http:// or https://)', where=where, field=name
            ) from None
    return text


def _framework_fields(
    values: Mapping[str, object], where_for: Callable[[str], Where]
) -> dict[str, Any]:
    return {
        "code": _code(
            values.get("code"),
            where_for("code"),
            "code",
            limit="framework.code",
            pattern=FRAMEWORK_CODE,
        ),
        "version": _code(
            values.get("version"),
            where_for("version"),
            "version",
            limit="framework.version",
            pattern=VERSION,
        ),
        "name": _text(values.get("name"), where_for("name"), "name", limit="framework.name"),
        "kind": _choice(values.get("kind"), where_for("kind"), "kind", Framework.Kind.values),
        "effective_date": _date(
            values.get("effective_date"), where_for("effective_date"), "effective_date"
        ),
        "source": _text(
            values.get("source"), where_for("source"), "source", limit="framework.source"
        ),
        "source_url": _url(values.get("source_url"), where_for("source_url"), "source_url"),
        "licence_note": _text(
            values.get("licence_note"),
            where_for("licence_note"),
            "licence_note",
            limit="framework.licence_note",
            required=False,
        ),
    }


def _scale_level(
    value: object, label: object, anchor: object, where: Where, *, from_text: bool
) -> ScaleLevelData:
    return ScaleLevelData(
        value=_level(value, where, "value", from_text=from_text),
        label=_text(label, where, "label", limit="scale.label"),
        anchor=_text(anchor, where, "anchor", limit="scale.anchor", required=False),
    )


def _scale(
    *,
    code: str,
    name: tuple[object, Where, str],
    kind: tuple[object, Where, str],
    levels: list[tuple[ScaleLevelData, Where]],
    empty_at: tuple[Where, str],
) -> ScaleData:
    """A scale defined in the file; `name` and `kind` are (value, where, field name)."""
    scale_name = _text(name[0], name[1], name[2], limit="scale.name")
    scale_kind = _choice(kind[0], kind[1], kind[2], RatingScale.Kind.values)
    seen: set[Decimal] = set()
    for level, where in levels:
        if level.value in seen:
            raise FrameworkImportError(
                f"value {format_level(level.value)} appears twice in the scale",
                where=where,
                field="value",
            )
        seen.add(level.value)
    if not levels:
        raise FrameworkImportError(
            "the scale has no levels; add at least one", where=empty_at[0], field=empty_at[1]
        )
    return ScaleData(
        code=code,
        name=scale_name,
        kind=scale_kind,
        levels=tuple(sorted((level for level, _ in levels), key=lambda level: level.value)),
    )


def _descriptor(level: object, text: object, where: Where, *, from_text: bool) -> DescriptorData:
    return DescriptorData(
        level=_level(level, where, "level", from_text=from_text),
        text=_text(text, where, "text", limit="descriptor.text"),
        where=where,
    )


def _sorted_descriptors(descriptors: list[DescriptorData]) -> tuple[DescriptorData, ...]:
    seen: set[Decimal] = set()
    for descriptor in descriptors:
        if descriptor.level in seen:
            raise FrameworkImportError(
                f"level {format_level(descriptor.level)} is described twice for this competency",
                where=descriptor.where,
                field="level",
            )
        seen.add(descriptor.level)
    return tuple(sorted(descriptors, key=lambda d: d.level))


def _check_codes(competencies: list[CompetencyData]) -> None:
    """Codes are unique in a framework (ignoring case: PC1 and pc1 would confuse people)."""
    first: dict[str, CompetencyData] = {}
    for competency in competencies:
        key = competency.code.casefold()
        if key in first:
            raise FrameworkImportError(
                f'duplicate code "{competency.code}"; it is already used at '
                f"{first[key].where.at()}",
                where=competency.where,
                field="code",
            )
        first[key] = competency


def check_levels(data: FrameworkData, scale: ScaleData) -> None:
    """Every level descriptor names a level of the framework's scale."""
    allowed = set(scale.values())
    for competency in data.competencies:
        for descriptor in competency.descriptors:
            if descriptor.level not in allowed:
                shown = ", ".join(format_level(value) for value in scale.values())
                raise FrameworkImportError(
                    f'level {format_level(descriptor.level)} is not on the scale "{scale.code}" '
                    f"(its levels are {shown})",
                    where=descriptor.where,
                    field="level",
                )


def format_level(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- JSON -------------------------------------------------------------------------------------


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers keys written twice (json keeps only the last one)."""

    duplicates: list[str]

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        obj = cls()
        obj.duplicates = []
        for key, value in pairs:
            if key in obj:
                obj.duplicates.append(key)
            obj[key] = value
        return obj


TOP_KEYS = (
    "$schema",
    "format",
    "format_version",
    "code",
    "version",
    "name",
    "kind",
    "effective_date",
    "source",
    "source_url",
    "licence_note",
    "scale",
    "competencies",
)
SCALE_KEYS = ("code", "name", "kind", "levels")
SCALE_LEVEL_KEYS = ("value", "label", "anchor")
COMPETENCY_KEYS = ("code", "title", "description", "descriptors", "children")
DESCRIPTOR_KEYS = ("level", "text")


def _json_object(value: object, where: JsonWhere, keys: tuple[str, ...]) -> _JsonObject:
    if not isinstance(value, _JsonObject):
        raise FrameworkImportError(
            f"must be an object {{...}}, not {_describe(value)}", where=where
        )
    if value.duplicates:
        raise FrameworkImportError(
            "appears twice in the same object", where=where, field=value.duplicates[0]
        )
    unknown = [key for key in value if key not in keys]
    if unknown:
        raise FrameworkImportError(
            f"unknown field; the fields here are {', '.join(k for k in keys if k != '$schema')}",
            where=where,
            field=unknown[0],
        )
    return value


def _json_list(value: object, where: JsonWhere, *, required: bool) -> list[Any]:
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise FrameworkImportError(f"must be a list [...], not {_describe(value)}", where=where)
    return value


def parse_json(text: str) -> FrameworkData:
    """Parse a framework in our JSON schema (docs/frameworks.md)."""
    try:
        json_bounds_check(text, max_values=MAX_JSON_VALUES)
    except JsonTooLarge as exc:
        problem = "not valid JSON" if exc.too_deep else "the file is too large to read"
        raise FrameworkImportError(f"{problem}: {exc.message}", where=JsonWhere(exc.path)) from None
    try:
        doc = json.loads(
            text,
            parse_float=Decimal,
            parse_int=Decimal,
            object_pairs_hook=_JsonObject.from_pairs,
        )
    except json.JSONDecodeError as exc:
        raise FrameworkImportError(
            f"not valid JSON: {exc.msg}",
            where=TextWhere(line=exc.lineno, column=exc.colno),
        ) from None
    except RecursionError:
        raise FrameworkImportError("not valid JSON: nested too deeply", where=NOWHERE) from None
    root = JsonWhere()
    obj = _json_object(doc, root, TOP_KEYS)
    if obj.get("format") != FORMAT_ID:
        raise FrameworkImportError(
            f'must be "{FORMAT_ID}"; this does not look like a Continuum framework file',
            where=root,
            field="format",
        )
    if obj.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        raise FrameworkImportError(
            f"this importer reads format_version {FORMAT_VERSION}",
            where=root,
            field="format_version",
        )
    fields = _framework_fields(obj, lambda name: root)

    scale_where = root.key("scale")
    raw_scale = obj.get("scale")
    scale: ScaleData | None = None
    if raw_scale is None or isinstance(raw_scale, str):
        scale_code = _code(raw_scale, root, "scale", limit="scale.code", pattern=FRAMEWORK_CODE)
    elif isinstance(raw_scale, _JsonObject):
        scale_obj = _json_object(raw_scale, scale_where, SCALE_KEYS)
        scale_code = _code(
            scale_obj.get("code"), scale_where, "code", limit="scale.code", pattern=FRAMEWORK_CODE
        )
        levels_where = scale_where.key("levels")
        levels: list[tuple[ScaleLevelData, Where]] = []
        raw_levels = _json_list(scale_obj.get("levels"), levels_where, required=True)
        for number, raw in enumerate(raw_levels):
            where = levels_where.index(number)
            level_obj = _json_object(raw, where, SCALE_LEVEL_KEYS)
            level = _scale_level(
                level_obj.get("value"),
                level_obj.get("label"),
                level_obj.get("anchor"),
                where,
                from_text=False,
            )
            levels.append((level, where))
        scale = _scale(
            code=scale_code,
            name=(scale_obj.get("name"), scale_where, "name"),
            kind=(scale_obj.get("kind"), scale_where, "kind"),
            levels=levels,
            empty_at=(scale_where, "levels"),
        )
    else:
        raise FrameworkImportError(
            f"must be a scale code or a scale object, not {_describe(raw_scale)}",
            where=root,
            field="scale",
        )

    competencies: list[CompetencyData] = []
    top_where = root.key("competencies")
    top = _json_list(obj.get("competencies"), top_where, required=True)
    if not top:
        raise FrameworkImportError(
            "the list is empty; a framework needs competencies", where=top_where
        )
    for number, raw in enumerate(top):
        where = top_where.index(number)
        competency_obj = _json_object(raw, where, COMPETENCY_KEYS)
        domain = _json_competency(competency_obj, where, parent=None)
        competencies.append(domain)
        children_where = where.key("children")
        children = _json_list(competency_obj.get("children"), children_where, required=False)
        for child_number, child_raw in enumerate(children):
            child_where = children_where.index(child_number)
            child_obj = _json_object(child_raw, child_where, COMPETENCY_KEYS)
            if "children" in child_obj:
                raise FrameworkImportError(
                    "frameworks have two levels (domain, then item); an item cannot have children",
                    where=child_where,
                    field="children",
                )
            competencies.append(_json_competency(child_obj, child_where, parent=domain.code))
    _check_codes(competencies)
    data = FrameworkData(
        **fields,
        scale_code=scale_code,
        competencies=tuple(competencies),
        scale=scale,
        scale_where=root if scale is None else scale_where,
        scale_field="scale" if scale is None else "code",
    )
    if scale is not None:
        check_levels(data, scale)
    return data


def _json_competency(obj: _JsonObject, where: JsonWhere, *, parent: str | None) -> CompetencyData:
    descriptors_where = where.key("descriptors")
    descriptors = []
    for number, raw in enumerate(
        _json_list(obj.get("descriptors"), descriptors_where, required=False)
    ):
        descriptor_where = descriptors_where.index(number)
        descriptor_obj = _json_object(raw, descriptor_where, DESCRIPTOR_KEYS)
        descriptors.append(
            _descriptor(
                descriptor_obj.get("level"),
                descriptor_obj.get("text"),
                descriptor_where,
                from_text=False,
            )
        )
    return CompetencyData(
        code=_code(obj.get("code"), where, "code", limit="competency.code", pattern=ITEM_CODE),
        title=_text(obj.get("title"), where, "title", limit="competency.title"),
        description=_text(
            obj.get("description"),
            where,
            "description",
            limit="competency.description",
            required=False,
        ),
        parent=parent,
        descriptors=_sorted_descriptors(descriptors),
        where=where,
    )


# --- CSV --------------------------------------------------------------------------------------


@dataclass
class _CsvRow:
    line: int
    cells: dict[str, str]


def _csv_rows(text: str) -> list[_CsvRow]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[_CsvRow] = []
    header: list[str] | None = None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in cells]
                _check_header(header, start)
                continue
            if len(rows) >= MAX_CSV_ROWS:
                raise FrameworkImportError(
                    f"more than {MAX_CSV_ROWS:,} rows; no framework is this large",
                    where=CsvWhere(line=start),
                )
            if len(cells) != len(header):
                raise FrameworkImportError(
                    f"expected {len(header)} columns ({', '.join(header)}), found {len(cells)}",
                    where=CsvWhere(line=start),
                )
            # Our exporter quotes cells a spreadsheet would run as a formula (core.csv);
            # the quote is not part of the value.
            values = [restore(cell) for cell in cells]
            rows.append(_CsvRow(line=start, cells=dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        raise FrameworkImportError(f"not valid CSV: {exc}", where=TextWhere(line=line)) from None
    if header is None:
        raise FrameworkImportError(
            f"the file is empty; the first line must be the header {','.join(CSV_COLUMNS)}",
            where=CsvWhere(line=1),
        )
    return rows


def _check_header(header: list[str], line: int) -> None:
    expected = ",".join(CSV_COLUMNS)
    for name in header:
        if name not in CSV_COLUMNS:
            raise FrameworkImportError(
                f'unknown column "{name}"; the header must be {expected}', where=CsvWhere(line=line)
            )
    for name in CSV_COLUMNS:
        if header.count(name) != 1:
            problem = "is missing" if name not in header else "appears twice"
            raise FrameworkImportError(
                f'column "{name}" {problem}; the header must be {expected}',
                where=CsvWhere(line=line),
            )


# Which CSV column holds which field, per record type; the other columns must stay empty.
CSV_USES: dict[str, dict[str, str]] = {
    "meta": {"code": "code", "text": "value"},
    "scale-level": {"level": "value", "title": "label", "text": "anchor"},
    "competency": {"code": "code", "parent": "parent", "title": "title", "text": "description"},
    "level": {"code": "code", "level": "level", "text": "text"},
}


def parse_csv(text: str) -> FrameworkData:
    """Parse a framework in our CSV layout: one row per meta field, competency or level."""
    meta: dict[str, str] = {}
    meta_where: dict[str, Where] = {}
    scale_levels: list[tuple[ScaleLevelData, Where]] = []
    competencies: list[CompetencyData] = []
    descriptor_rows: list[tuple[str, DescriptorData]] = []
    for row in _csv_rows(text):
        record = row.cells["record"].strip()
        if record not in CSV_USES:
            raise FrameworkImportError(
                f'unknown record type "{record}"; use one of {", ".join(CSV_RECORDS)}',
                where=CsvWhere(line=row.line),
                field="record",
            )
        uses = CSV_USES[record]
        for column in CSV_COLUMNS:
            if column != "record" and column not in uses and row.cells[column].strip():
                raise FrameworkImportError(
                    f"must be empty in a {record} row", where=CsvWhere(line=row.line), field=column
                )
        where = CsvWhere(
            line=row.line,
            columns=tuple((name, column) for column, name in uses.items() if name != column),
        )
        cells = {name: row.cells[column] for column, name in uses.items()}
        if record == "meta":
            key = cells["code"].strip()
            if key not in META_KEYS:
                raise FrameworkImportError(
                    f'unknown meta field "{key}"; use one of {", ".join(META_KEYS)}',
                    where=where,
                    field="code",
                )
            if key in meta:
                raise FrameworkImportError(
                    f'meta field "{key}" is already given at {meta_where[key].at()}',
                    where=where,
                    field="code",
                )
            meta[key] = cells["value"]
            meta_where[key] = CsvWhere(line=row.line, columns=((key, "text"),))
        elif record == "scale-level":
            level = _scale_level(
                cells["value"], cells["label"], cells["anchor"], where, from_text=True
            )
            scale_levels.append((level, where))
        elif record == "competency":
            parent = cells["parent"].strip() or None
            competencies.append(
                CompetencyData(
                    code=_code(
                        cells["code"], where, "code", limit="competency.code", pattern=ITEM_CODE
                    ),
                    title=_text(cells["title"], where, "title", limit="competency.title"),
                    description=_text(
                        cells["description"],
                        where,
                        "description",
                        limit="competency.description",
                        required=False,
                    ),
                    parent=parent,
                    where=where,
                )
            )
        else:
            code = _text(cells["code"], where, "code", limit="competency.code")
            descriptor_rows.append(
                (code, _descriptor(cells["level"], cells["text"], where, from_text=True))
            )

    def where_for(key: str) -> Where:
        return meta_where.get(key, CsvMissingMeta())

    fields = _framework_fields(meta, where_for)
    scale_code = _code(
        meta.get("scale"), where_for("scale"), "scale", limit="scale.code", pattern=FRAMEWORK_CODE
    )
    scale: ScaleData | None = None
    if scale_levels or "scale_name" in meta or "scale_kind" in meta:
        scale = _scale(
            code=scale_code,
            name=(meta.get("scale_name"), where_for("scale_name"), "scale_name"),
            kind=(meta.get("scale_kind"), where_for("scale_kind"), "scale_kind"),
            levels=scale_levels,
            empty_at=(where_for("scale_name"), "scale_name"),
        )
    if not competencies:
        raise FrameworkImportError(
            "the file has no competency rows; a framework needs competencies",
            where=CsvMissingMeta(),
        )
    _check_codes(competencies)
    ordered = _csv_tree(competencies)
    by_code = {competency.code: competency for competency in ordered}
    attached: dict[str, list[DescriptorData]] = {code: [] for code in by_code}
    for code, descriptor in descriptor_rows:
        if code not in attached:
            raise FrameworkImportError(
                f'"{code}" is not the code of a competency in this file',
                where=descriptor.where,
                field="code",
            )
        attached[code].append(descriptor)
    final = tuple(
        CompetencyData(
            code=c.code,
            title=c.title,
            description=c.description,
            parent=c.parent,
            descriptors=_sorted_descriptors(attached[c.code]),
            where=c.where,
        )
        for c in ordered
    )
    data = FrameworkData(
        **fields,
        scale_code=scale_code,
        competencies=final,
        scale=scale,
        scale_where=where_for("scale"),
    )
    if scale is not None:
        check_levels(data, scale)
    return data


def _csv_tree(competencies: list[CompetencyData]) -> list[CompetencyData]:
    """Order rows depth-first (each domain, then its items in file order); check the parents."""
    by_code = {competency.code: competency for competency in competencies}
    children: dict[str, list[CompetencyData]] = {}
    for competency in competencies:
        if competency.parent is None:
            continue
        parent = by_code.get(competency.parent)
        if parent is None:
            raise FrameworkImportError(
                f'"{competency.parent}" is not the code of a competency in this file',
                where=competency.where,
                field="parent",
            )
        if parent.parent is not None:
            raise FrameworkImportError(
                f'"{parent.code}" is itself inside "{parent.parent}"; frameworks have two '
                "levels (domain, then item)",
                where=competency.where,
                field="parent",
            )
        children.setdefault(parent.code, []).append(competency)
    ordered: list[CompetencyData] = []
    for competency in competencies:
        if competency.parent is None:
            ordered.append(competency)
            ordered.extend(children.get(competency.code, []))
    return ordered

"""Sections of the portable archive that other apps contribute (docs/portfolio-export.md).

Portfolio writes and reads the archive (`portfolio.transfer`); the apps above it know what of
theirs a learner may see about themselves. Each registers an `ArchiveSection` in its
`AppConfig.ready`: how to export the learner's items, how to check one item of an uploaded
archive, and — for items the learner wrote themselves and that can live again here — how to
restore them as the learner's own rows. Everything else an import keeps as a read-only record
(`ImportedRecord` of kind `record`), author names included as they were exported, and every
later export carries it again unchanged. Portfolio never imports those apps: the layers stay
one-way.

Every item of a section carries an `id` (a UUID): the row's `public_id`, or one derived from
the row where it has none (`derived_id`). An item whose `id` the learner already has — as a
live row, as a kept record, or under the identifier derived for them (`local_id`) — is not
added again.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.models import User
from frameworks.models import Competency
from portfolio.models import Evidence, ImportedRecord

# Names identifiers this deployment derives: of stages held here, of rows without a public
# identifier, and of items imported whose archive identifier someone else's item holds.
IDENTITY_NAMESPACE = uuid.UUID("6f1d2c8e-4b7a-5e39-9c02-8a3f5d1e7b64")


def local_id(learner: User, archive_id: uuid.UUID) -> uuid.UUID:
    """The identifier an imported item gets when another learner's item holds the archive's:
    derived from both, so the next import of the same archive finds the item again."""
    return uuid.uuid5(IDENTITY_NAMESPACE, f"{learner.pk}:{archive_id}")


def derived_id(kind: str, *parts: object) -> str:
    """A stable identifier for a row that has no `public_id` of its own (a committee review,
    a credential's decision): the same row gives the same identifier on every export."""
    return str(uuid.uuid5(IDENTITY_NAMESPACE, ":".join([kind, *map(str, parts)])))


class Checker:
    """Collects field errors with JSON paths, like `evidence[3].occurred_on`. Sections use it
    to check their items; `portfolio.transfer` uses it for the whole document."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        if len(self.errors) < 50:
            self.errors.setdefault(path, []).append(message)

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(path, "Expected an object.")
            return {}
        return value

    def items(self, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if not isinstance(value, list):
            self.add(f"{path}{key}", "Expected a list.")
            return []
        return value

    def text(self, parent: dict[str, Any], key: str, path: str, *, max_length: int) -> None:
        value = parent.get(key)
        if not isinstance(value, str):
            self.add(f"{path}{key}", "Expected text.")
        elif len(value) > max_length:
            self.add(f"{path}{key}", f"Longer than {max_length} characters.")

    def flag(self, parent: dict[str, Any], key: str, path: str) -> None:
        if not isinstance(parent.get(key), bool):
            self.add(f"{path}{key}", "Expected true or false.")

    def whole(self, parent: dict[str, Any], key: str, path: str, *, minimum: int = 0) -> None:
        value = parent.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.add(f"{path}{key}", f"Expected a whole number of at least {minimum}.")

    def date(self, parent: dict[str, Any], key: str, path: str, *, optional: bool = False) -> None:
        value = parent.get(key)
        if value is None and optional:
            return
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            self.add(f"{path}{key}", "Expected a date (YYYY-MM-DD).")

    def number(
        self, parent: dict[str, Any], key: str, path: str, *, optional: bool = False
    ) -> None:
        value = parent.get(key)
        if value is None and optional:
            return
        try:
            if isinstance(value, bool) or not Decimal(str(value)).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.add(f"{path}{key}", 'Expected a number written as text, like "2.5".')

    def identifier(self, parent: dict[str, Any], key: str, path: str, seen: set[str]) -> None:
        """An item's optional `id`: a UUID, once per section."""
        value = parent.get(key)
        if value is None:
            return
        try:
            canonical = str(uuid.UUID(str(value)))
        except ValueError:
            self.add(f"{path}{key}", "Expected a UUID.")
            return
        if canonical in seen:
            self.add(f"{path}{key}", "Each item needs its own identifier.")
        seen.add(canonical)

    def instant(
        self, parent: dict[str, Any], key: str, path: str, *, optional: bool = True
    ) -> None:
        """A date and time, which must name its time zone."""
        value = parent.get(key)
        if value is None and optional:
            return
        try:
            aware = dt.datetime.fromisoformat(str(value)).tzinfo is not None
        except ValueError:
            aware = False
        if not aware:
            self.add(f"{path}{key}", "Expected a date and time with its time zone (ISO 8601).")

    def choice(self, parent: dict[str, Any], key: str, path: str, choices: Iterable[str]) -> None:
        choices = set(choices)
        if parent.get(key) not in choices:
            self.add(f"{path}{key}", f"Expected one of: {', '.join(sorted(choices))}.")

    def refs(self, parent: dict[str, Any], key: str, path: str) -> None:
        for index, ref in enumerate(self.items(parent, key, path)):
            self.competency(self.obj(ref, f"{path}{key}[{index}]"), f"{path}{key}[{index}].")

    def competency(self, ref: dict[str, Any], path: str) -> None:
        for part in ("framework", "version", "code"):
            self.text(ref, part, path, max_length=60)

    def evidence_refs(self, parent: dict[str, Any], key: str, path: str, known: set[str]) -> None:
        for ref in self.items(parent, key, path):
            if ref not in known:
                self.add(path + key, f"Unknown evidence reference {ref!r}.")


@dataclass(frozen=True)
class ExportContext:
    learner: User
    evidence_refs: Mapping[int, str]  # evidence pk → its `ref` in this document


@dataclass
class RestoreContext:
    learner: User
    competency: Callable[[dict[str, Any]], Competency | None]  # a framework reference, matched
    evidence: Mapping[str, Evidence]  # evidence `ref` → the learner's evidence here
    notes: list[str] = field(default_factory=list)  # for the import report


# Given the new items (archive identifier, item), writes those it can as the learner's rows
# and returns the items it could not (kept as records, with a note in the report).
Restorer = Callable[[RestoreContext, list[tuple[uuid.UUID, dict[str, Any]]]], list[dict[str, Any]]]


@dataclass(frozen=True)
class ArchiveSection:
    """One list in the archive's document, contributed by an app above portfolio.

    `export` returns the learner's live items in document shape; `check` reports what is wrong
    with one item of an uploaded archive (the `id` is checked for every section); `sort_key`
    orders the list (ties broken by `id`). `restore`, for the learner's own items, writes the
    ones it can as live rows (under the identifiers it is given) and returns those it could
    not, which are kept as records. `known_ids` are the identifiers of the learner's live
    items, so a re-import adds nothing twice; `refs` lists an item's framework references.
    """

    key: str
    one: str
    several: str
    export: Callable[[ExportContext], list[dict[str, Any]]]
    check: Callable[[Checker, dict[str, Any], str, set[str]], None]
    sort_key: Callable[[dict[str, Any]], tuple[Any, ...]]
    known_ids: Callable[[User], Iterable[uuid.UUID]]
    restore: Restorer | None = None
    refs: Callable[[dict[str, Any]], Iterable[dict[str, str]]] = lambda item: ()
    description: str = ""
    # For the page of kept records: a one-line name of the item, and who wrote it (the name
    # as exported, a snapshot).
    label: Callable[[dict[str, Any]], str] = lambda item: str(item.get("title", ""))
    author: Callable[[dict[str, Any]], str] = lambda item: ""


_SECTIONS: dict[str, ArchiveSection] = {}


def archive_section_register(section: ArchiveSection) -> None:
    """Add (or replace, by key) a section; apps call this from `AppConfig.ready`."""
    _SECTIONS[section.key] = section


def archive_sections() -> list[ArchiveSection]:
    """The registered sections, in key order (the document's keys are sorted anyway)."""
    return [_SECTIONS[key] for key in sorted(_SECTIONS)]


@dataclass(frozen=True)
class KeptRecord:
    """A record kept from an archive, as the learner's page and API show it."""

    record: ImportedRecord
    section: str  # the section's name for people ("committee review")
    label: str
    author: str
    dated: str  # the item's date or instant, as exported

    @property
    def text(self) -> str:
        """The whole record as it was exported, for people to read."""
        return json.dumps(self.record.payload, ensure_ascii=False, indent=2, sort_keys=True)


def kept_record(record: ImportedRecord) -> KeptRecord:
    section = _SECTIONS.get(record.section)
    payload = record.payload if isinstance(record.payload, dict) else {}
    if section is None:  # a section no app contributes any more
        return KeptRecord(record, record.section.replace("_", " "), str(payload.get("id")), "", "")
    try:
        first = section.sort_key(payload)[0]
        label, author = section.label(payload), section.author(payload)
    except (KeyError, TypeError, IndexError):
        first, label, author = "", str(payload.get("id")), ""
    return KeptRecord(record, section.one, label, author, str(first or "")[:10])


def _ordered(section: ArchiveSection | None, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if section is None:
        return sorted(items, key=lambda item: str(item.get("id")))
    return sorted(items, key=lambda item: (section.sort_key(item), str(item["id"])))


def sections_export(context: ExportContext) -> dict[str, list[dict[str, Any]]]:
    """Every section's items: the learner's live ones and the records kept from imports."""
    kept: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, payload in ImportedRecord.objects.filter(
        learner=context.learner, kind=ImportedRecord.Kind.RECORD
    ).values_list("section", "payload"):
        kept[key].append(payload)
    lists = {
        section.key: _ordered(section, section.export(context) + kept.pop(section.key, []))
        for section in archive_sections()
    }
    # Records of a section no app contributes any more still travel with the learner.
    lists.update({key: _ordered(None, items) for key, items in kept.items()})
    return lists


def sections_check(
    check: Checker, doc: dict[str, Any], *, version: int, evidence_refs: set[str]
) -> None:
    """Check every section's list; an archive of version 1 has none (they count as empty)."""
    for section in archive_sections():
        if section.key not in doc and version < 2:
            doc[section.key] = []
            continue
        seen: set[str] = set()
        for index, item in enumerate(check.items(doc, section.key, "")):
            path = f"{section.key}[{index}]."
            item = check.obj(item, path[:-1])
            if item.get("id") is None:
                check.add(path + "id", "Expected a UUID.")
            check.identifier(item, "id", path, seen)
            if item:
                section.check(check, item, path, evidence_refs)


def section_refs(doc: dict[str, Any]) -> Iterable[dict[str, str]]:
    """The framework references of every section's items."""
    for section in archive_sections():
        for item in doc.get(section.key, []):
            yield from section.refs(item)


@dataclass
class SectionOutcome:
    key: str
    one: str
    several: str
    added: int = 0
    unchanged: int = 0
    kept: int = 0  # of `added`, how many are read-only records


def sections_import(context: RestoreContext, doc: dict[str, Any]) -> list[SectionOutcome]:
    """Write every section's new items (inside the import's transaction): the learner's own
    restored as live rows where the section can, the rest kept as read-only records. An item
    the learner already has (by identifier) is left as it is."""
    held: dict[str, set[uuid.UUID]] = defaultdict(set)
    for key, item_id in ImportedRecord.objects.filter(
        learner=context.learner, kind=ImportedRecord.Kind.RECORD
    ).values_list("section", "item_id"):
        if item_id is not None:
            held[key].add(item_id)
    outcomes: list[SectionOutcome] = []
    records: list[ImportedRecord] = []
    for section in archive_sections():
        items = doc.get(section.key) or []
        outcome = SectionOutcome(section.key, section.one, section.several)
        outcomes.append(outcome)
        if not items:
            continue
        known = held[section.key] | set(section.known_ids(context.learner))
        new: list[tuple[uuid.UUID, dict[str, Any]]] = []
        for item in items:
            archive_id = uuid.UUID(str(item["id"]))
            if archive_id in known or local_id(context.learner, archive_id) in known:
                outcome.unchanged += 1
            else:
                known.add(archive_id)
                new.append((archive_id, item))
        left = [item for _, item in new]
        if section.restore is not None and new:
            left = section.restore(context, new)
        for item in left:
            records.append(
                ImportedRecord(
                    learner=context.learner,
                    kind=ImportedRecord.Kind.RECORD,
                    section=section.key,
                    item_id=uuid.UUID(str(item["id"])),
                    payload=item,
                    reason=f"Kept from an archive: {section.several}, as exported.",
                )
            )
        outcome.added = len(new)
        outcome.kept = len(left)
    ImportedRecord.objects.bulk_create(records, batch_size=500, ignore_conflicts=True)
    return outcomes

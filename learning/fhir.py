"""Reading FHIR R4 Bundles of Appointment / Encounter resources into upcoming visits.

Every entry is checked on its own with the `fhir.resources` R4B models, so one bad entry never
sinks the others; each gets a line in the report. Only what the matching needs leaves this
module: the visit's date and time, its status, and reason codes with their display text.
Patient resources, names, identifiers, descriptions and comments are never returned — and
reason text that mentions a name or identifier found in the bundle is dropped too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from pydantic import ValidationError

from core.jsonlimits import JsonTooLarge, json_bounds_check
from learning.codes import normalise_code, system_of

APPOINTMENT_STATUSES = {
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
}
ENCOUNTER_STATUSES = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}
# Fields that exist only in FHIR R5 Appointment / Encounter: a sign someone sent R5.
R5_ONLY_FIELDS = {
    "Appointment": {
        "reason",
        "class",
        "subject",
        "virtualService",
        "cancellationReason",
        "recurrenceTemplate",
        "previousAppointment",
        "originatingAppointment",
        "replaces",
        "note",
        "account",
    },
    "Encounter": {
        "reason",
        "actualPeriod",
        "plannedStartDate",
        "plannedEndDate",
        "virtualService",
        "subjectStatus",
        "careTeam",
        "admission",
        "businessStatus",
    },
}
VISIT_MODELS: dict[str, type[Appointment] | type[Encounter]] = {
    "Appointment": Appointment,
    "Encounter": Encounter,
}
MAX_TEXT = 300
# A bundle of 10,000 visits with their Conditions holds a few hundred thousand values; the
# limit keeps a parsed bundle far below 300 MB whatever its bytes hold (core.jsonlimits).
MAX_VALUES = 1_000_000


def max_bytes() -> int:
    """The largest bundle accepted in one upload (LEARNING_FHIR_MAX_BYTES, default 20 MB)."""
    return int(getattr(settings, "LEARNING_FHIR_MAX_BYTES", 20 * 1024 * 1024))


class BundleError(Exception):
    """The document as a whole cannot be read; `status` is the HTTP status to answer with."""

    def __init__(self, detail: str, status: int = 400) -> None:
        self.detail = detail
        self.status = status
        super().__init__(detail)


@dataclass
class ParsedVisit:
    index: int
    resource_type: str
    resource_id: str
    visit_date: dt.date
    starts_at: dt.datetime | None
    status: str
    reasons: list[dict[str, str]]
    reason_text: str

    @property
    def is_active(self) -> bool:
        return self.status in ("booked", "planned", "arrived")


@dataclass
class EntryReport:
    index: int
    resource_type: str
    resource_id: str
    outcome: str  # created, updated, unchanged, skipped, invalid, dropped, used, ignored
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class ParsedBundle:
    visits: list[ParsedVisit]
    entries: list[EntryReport]


def load_json(content: bytes | str) -> Any:
    """The decoded JSON document, or BundleError naming where it stopped making sense."""
    return load_json_counted(content, max_values=MAX_VALUES)[0]


def load_json_counted(content: bytes | str, *, max_values: int) -> tuple[Any, int]:
    """The decoded JSON document and how many values it holds.

    Its size once parsed is checked first, by streaming, so memory stays bounded: more than
    `max_values` values is a BundleError with status 413 naming where the count ran out."""
    try:
        values = json_bounds_check(content, max_values=max_values)
    except JsonTooLarge as exc:
        if exc.too_deep:
            raise BundleError(
                f"The upload is nested too deeply to be a FHIR Bundle: {exc.message} "
                f"(at {exc.path})."
            ) from exc
        raise BundleError(
            f"The bundle is too large to read: {exc.message} (at {exc.path}); "
            "send at most 10,000 entries at once.",
            status=413,
        ) from exc
    try:
        return json.loads(content), values
    except RecursionError as exc:
        raise BundleError("The upload is nested too deeply to be a FHIR Bundle.") from exc
    except UnicodeDecodeError as exc:
        raise BundleError("The upload is not UTF-8 text.") from exc
    except json.JSONDecodeError as exc:
        raise BundleError(
            f"The upload is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc


def parse_bundle(
    document: Any,
    *,
    practitioner_id: str,
    today: dt.date | None = None,
    max_entries: int = 10_000,
) -> ParsedBundle:
    """Check a FHIR R4 Bundle entry by entry and return the visits worth keeping plus a report.

    Visits are kept only when the learner's Practitioner takes part and the date is today or
    later; Condition resources are used to resolve `reasonReference` and never returned.
    """
    today = today or timezone.localdate()
    entries = _bundle_entries(document, max_entries=max_entries)
    context = _BundleContext(practitioner_id=practitioner_id.strip())
    reports: list[EntryReport] = []
    resources: list[tuple[int, str, dict[str, Any], str]] = []

    # Pass 1: classify, and learn what the visits will need (Conditions, Practitioners, and
    # patient details that must never leak into reason text).
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        full_url = str(entry.get("fullUrl") or "") if isinstance(entry, dict) else ""
        if not isinstance(resource, dict):
            reports.append(EntryReport(index, "", "", "invalid", "entry has no resource object"))
            continue
        resource_type = str(resource.get("resourceType") or "")
        resource_id = str(resource.get("id") or "")[:64]
        if resource_type == "Patient":
            context.remember_patient(resource)
            # The id is not echoed: it can be a medical record number.
            reports.append(
                EntryReport(index, "Patient", "", "dropped", "patient data is never stored")
            )
        elif resource_type == "Condition":
            reports.append(context.remember_condition(index, resource, full_url))
        elif resource_type == "Practitioner":
            context.remember_practitioner(resource, full_url)
            reports.append(EntryReport(index, resource_type, resource_id, "used", ""))
        elif resource_type in VISIT_MODELS:
            resources.append((index, resource_type, resource, full_url))
            reports.append(EntryReport(index, resource_type, resource_id, "pending"))
        else:
            label = resource_type or "resource without resourceType"
            reports.append(EntryReport(index, resource_type, "", "ignored", f"{label} is not used"))

    # Participant display names of patients are collected before any reason text is kept.
    for _index, _type, resource, _url in resources:
        context.remember_patient_mentions(resource)

    visits: list[ParsedVisit] = []
    seen: dict[tuple[str, str], int] = {}
    by_index = {report.index: report for report in reports}
    for index, resource_type, resource, full_url in resources:
        report = by_index[index]
        visit = _parse_visit(index, resource_type, resource, full_url, context, report, today)
        if visit is None:
            continue
        key = (visit.resource_type, visit.resource_id)
        if key in seen:
            report.outcome, report.reason = "invalid", f"same id as entry {seen[key]}"
            continue
        seen[key] = index
        visits.append(visit)
    return ParsedBundle(visits=visits, entries=reports)


def _bundle_entries(document: Any, *, max_entries: int) -> list[Any]:
    if not isinstance(document, dict):
        raise BundleError("Expected a FHIR Bundle: a JSON object with resourceType 'Bundle'.")
    resource_type = document.get("resourceType")
    if resource_type != "Bundle":
        got = f"'{resource_type}'" if isinstance(resource_type, str) else "none"
        raise BundleError(f"Expected resourceType 'Bundle', got {got}.")
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        raise BundleError("Bundle.entry must be a list.")
    if len(entries) > max_entries:
        raise BundleError(
            f"The bundle has {len(entries)} entries; at most {max_entries} are accepted at once.",
            status=413,
        )
    try:
        # The envelope only; entries are checked one by one below.
        Bundle.model_validate({**document, "entry": []})
    except ValidationError as exc:
        raise BundleError(f"Not a valid FHIR R4 Bundle: {_describe(exc)}") from exc
    return entries


@dataclass
class _BundleContext:
    practitioner_id: str
    conditions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    condition_text: dict[str, str] = field(default_factory=dict)
    condition_warnings: dict[str, list[str]] = field(default_factory=dict)
    practitioner_urls: set[str] = field(default_factory=set)
    patient_terms: set[str] = field(default_factory=set)

    def remember_patient(self, resource: dict[str, Any]) -> None:
        for name in _as_list(resource.get("name")):
            if isinstance(name, dict):
                self._add_terms(name.get("text"), name.get("family"), *_as_list(name.get("given")))
        for identifier in _as_list(resource.get("identifier")):
            if isinstance(identifier, dict):
                self._add_terms(identifier.get("value"))
        for telecom in _as_list(resource.get("telecom")):
            if isinstance(telecom, dict):
                self._add_terms(telecom.get("value"))

    def remember_patient_mentions(self, resource: dict[str, Any]) -> None:
        for participant in _as_list(resource.get("participant")):
            if not isinstance(participant, dict):
                continue
            for key in ("actor", "individual"):
                actor = participant.get(key)
                if isinstance(actor, dict) and "Patient" in str(actor.get("reference") or ""):
                    self._add_terms(actor.get("display"))
        subject = resource.get("subject")
        if isinstance(subject, dict):
            self._add_terms(subject.get("display"))

    def _add_terms(self, *values: Any) -> None:
        """Words of names, identifiers and phone numbers (3+ characters), lower-cased."""
        for value in values:
            if isinstance(value, str):
                self.patient_terms.update(_words(value))

    def mentions_patient(self, text: str) -> bool:
        """Whether text shares a word with a patient's details (a set lookup: fast at 10,000
        entries; it errs on the side of dropping text, never of keeping a name)."""
        return bool(self.patient_terms) and not self.patient_terms.isdisjoint(_words(text))

    def remember_condition(
        self, index: int, resource: dict[str, Any], full_url: str
    ) -> EntryReport:
        resource_id = str(resource.get("id") or "")
        try:
            condition = Condition.model_validate(resource)
        except ValidationError as exc:
            return EntryReport(index, "Condition", resource_id, "invalid", _describe(exc))
        warnings: list[str] = []
        codes = _codes(condition.code, warnings) if condition.code else []
        text = _concept_text(condition.code) if condition.code else ""
        for key in {full_url, f"Condition/{resource_id}" if resource_id else ""} - {""}:
            self.conditions[key] = codes
            self.condition_text[key] = text
            self.condition_warnings[key] = warnings
        return EntryReport(index, "Condition", resource_id, "used", "", warnings)

    def remember_practitioner(self, resource: dict[str, Any], full_url: str) -> None:
        if str(resource.get("id") or "") == self.practitioner_id and full_url:
            self.practitioner_urls.add(full_url)

    def is_me(self, reference: str | None) -> bool:
        if not reference or not self.practitioner_id:
            return False
        if reference in self.practitioner_urls:
            return True
        path = reference.split("/_history/", 1)[0].rstrip("/")
        return path == f"Practitioner/{self.practitioner_id}" or path.endswith(
            f"/Practitioner/{self.practitioner_id}"
        )


def _parse_visit(
    index: int,
    resource_type: str,
    resource: dict[str, Any],
    full_url: str,
    context: _BundleContext,
    report: EntryReport,
    today: dt.date,
) -> ParsedVisit | None:
    def fail(outcome: str, reason: str) -> None:
        report.outcome, report.reason = outcome, reason

    r5_fields = sorted(R5_ONLY_FIELDS[resource_type] & set(resource))
    if resource_type == "Encounter" and isinstance(resource.get("class"), list):
        r5_fields.append("class (as a list)")
    if r5_fields:
        fail(
            "invalid",
            f"looks like FHIR R5 ({', '.join(r5_fields)}); send FHIR R4 "
            "(reasonCode / reasonReference, period, class as one Coding)",
        )
        return None
    try:
        model = VISIT_MODELS[resource_type].model_validate(resource)
    except ValidationError as exc:
        fail("invalid", _describe(exc))
        return None
    resource_id = model.id or full_url
    report.resource_id = resource_id
    if not resource_id:
        fail("invalid", "no id and no fullUrl: the entry cannot be told apart on re-upload")
        return None
    status = str(model.status or "")
    allowed = APPOINTMENT_STATUSES if resource_type == "Appointment" else ENCOUNTER_STATUSES
    if status not in allowed:
        fail("invalid", f"status '{status}' is not a FHIR R4 {resource_type} status")
        return None

    if isinstance(model, Appointment):
        when: Any = model.start
        actors = [p.actor.reference for p in model.participant or [] if p.actor]
        date_field = "Appointment.start"
    else:
        when = model.period.start if model.period else None
        actors = [p.individual.reference for p in model.participant or [] if p.individual]
        date_field = "Encounter.period.start"
    if not any(context.is_me(reference) for reference in actors):
        fail(
            "skipped",
            f"Practitioner/{context.practitioner_id} (you) is not a participant"
            if context.practitioner_id
            else "no practitioner id is set for you, so no visit can be recognised as yours",
        )
        return None
    if when is None:
        fail("invalid", f"no date: {date_field} is missing")
        return None
    if isinstance(when, dt.datetime):
        starts_at: dt.datetime | None = when
        visit_date = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    else:
        starts_at, visit_date = None, when
    if visit_date < today:
        fail("skipped", f"the visit date {visit_date.isoformat()} is in the past")
        return None

    warnings = report.warnings
    reasons: list[dict[str, str]] = []
    texts: list[str] = []
    for concept in model.reasonCode or []:
        reasons.extend(_codes(concept, warnings))
        texts.append(_concept_text(concept))
    for reference in model.reasonReference or []:
        key = reference.reference or ""
        if key in context.conditions:
            reasons.extend(context.conditions[key])
            texts.append(context.condition_text[key])
            warnings.extend(context.condition_warnings[key])
        else:
            warnings.append(f"reasonReference '{key}' is not a valid Condition in this bundle")
    text = "; ".join(dict.fromkeys(t for t in texts if t))[:MAX_TEXT]
    if text and context.mentions_patient(text):
        warnings.append("reason text dropped: it mentions a patient's name or identifier")
        text = ""
    unique = list({(r["system"], r["code"]): dict(r) for r in reasons}.values())
    for reason in unique:
        if context.mentions_patient(reason["display"]):
            warnings.append("a code's display text was dropped: it mentions a patient")
            reason["display"] = ""
    if not unique and not text:
        fail("skipped", "no reason in SNOMED CT or ICD-10-CM and no reason text to match on")
        return None
    return ParsedVisit(
        index=index,
        resource_type=resource_type,
        resource_id=resource_id[:200],
        visit_date=visit_date,
        starts_at=starts_at,
        status=status,
        reasons=unique,
        reason_text=text,
    )


def _codes(concept: CodeableConcept, warnings: list[str]) -> list[dict[str, str]]:
    codes = []
    for coding in concept.coding or []:
        system_name = str(coding.system or "")
        system = system_of(system_name) if system_name.startswith("http") else None
        if system is None:
            warnings.append(
                f"code system '{system_name or 'none'}' is not used (only SNOMED CT and ICD-10-CM)"
            )
            continue
        code = normalise_code(system, str(coding.code or ""))
        if code is None:
            warnings.append(f"'{coding.code}' is not a valid code in {system_name}")
            continue
        codes.append({"system": system, "code": code, "display": str(coding.display or "")[:200]})
    return codes


def _concept_text(concept: CodeableConcept) -> str:
    if concept.text:
        return str(concept.text).strip()
    displays = (str(c.display).strip() for c in concept.coding or [] if c.display)
    return next(iter(displays), "")


def _describe(exc: ValidationError) -> str:
    """A short, readable summary of what the R4 model rejected."""
    parts = []
    for error in exc.errors()[:3]:
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        ).lstrip(".")
        message = "required field is missing" if error["type"] == "missing" else error["msg"]
        if error["type"] == "extra_forbidden":
            message = "not a field of this FHIR R4 resource"
        message = " ".join(str(message).split())[:160]
        parts.append(f"{where or 'resource'}: {message}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _words(text: str) -> set[str]:
    return {word for word in re.findall(r"\w+", text.lower()) if len(word) >= 3}


def _as_list(value: Any) -> Iterable[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]

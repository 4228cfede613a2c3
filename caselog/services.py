"""Writes for the procedure and case log: the program's procedure list (one at a time or
imported), log entries, their verification and erasure. Keyword-only, atomic; all problems of
an entry are reported at once and nothing is written while any remains."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from caselog.models import (
    DEFAULT_MRN_PATTERN,
    CaseLogEntry,
    CaseLogSettings,
    Procedure,
)
from programs.models import Enrollment, Program, ProgramRole

CODE_MAX = 40
NAME_MAX = 200
SITE_MAX = 120
NOTES_MAX = 2000
MINIMUM_MAX = 10_000
IMPORT_MAX_BYTES = 1_000_000
IMPORT_MAX_ROWS = 2_000
IMPORT_COLUMNS = ("code", "name", "minimum", "active")
IMPORT_REQUIRED = ("code", "name")
# The free-text fields a patient identifier could be typed into.
FREE_TEXT_FIELDS = ("site", "notes")

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# A full date: day, month and year together, in the ways people write them.
FULL_DATE = re.compile(
    r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"  # 1987-03-12
    r"|\b\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})\b"  # 12/03/1987, 3.12.87
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{2,4}}\b"  # 12 March 1987
    rf"|\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}\b",  # March 12, 1987
    re.IGNORECASE,
)


# --- Patient identifiers ----------------------------------------------------------------------


def mrn_pattern_for(*, institution_id: int) -> str:
    """The institution's medical record number pattern, or the documented default."""
    found = (
        CaseLogSettings.objects.filter(institution_id=institution_id)
        .values_list("mrn_pattern", flat=True)
        .first()
    )
    return found or DEFAULT_MRN_PATTERN


def identifier_problems(*, values: dict[str, str], mrn_pattern: str) -> dict[str, list[str]]:
    """The free-text fields that look like they hold a patient identifier: a full date (a
    date of birth, as far as we can tell; the case's own date has its field) or a number
    matching the institution's medical record number pattern."""
    mrn = re.compile(mrn_pattern, re.IGNORECASE)
    problems: dict[str, list[str]] = {}
    for field, text in values.items():
        if FULL_DATE.search(text):
            problems[field] = [
                "This looks like a full date, which could be a date of birth. Record no "
                "patient identifiers: the age band says the patient's age."
            ]
        elif mrn.search(text):
            problems[field] = [
                "This looks like a medical record number. Record no patient identifiers."
            ]
    return problems


# --- The procedure list ---------------------------------------------------------------------


def _procedure_values(
    *, code: str, name: str, minimum: int | str, errors: dict[str, list[str]]
) -> tuple[str, str, int]:
    code, name = code.strip(), name.strip()
    if not code or len(code) > CODE_MAX:
        errors["code"] = [f"Give a code of 1 to {CODE_MAX} characters."]
    if not name or len(name) > NAME_MAX:
        errors["name"] = [f"Give a name of 1 to {NAME_MAX} characters."]
    number = 0
    text = str(minimum).strip()
    if text:
        if not text.isdigit() or int(text) > MINIMUM_MAX:
            errors["minimum"] = [f"Give a whole number from 0 to {MINIMUM_MAX}."]
        else:
            number = int(text)
    return code, name, number


@transaction.atomic
def procedure_save(
    *,
    program: Program,
    by: User | None,
    code: str,
    name: str,
    minimum: int | str = 0,
    is_active: bool = True,
) -> tuple[Procedure, bool]:
    """Add a procedure to the program's list, or change the one with this code (its name,
    minimum and whether learners may still log it). Returns (procedure, created)."""
    errors: dict[str, list[str]] = {}
    code, name, number = _procedure_values(code=code, name=name, minimum=minimum, errors=errors)
    if errors:
        raise ValidationError(errors)
    existing = Procedure.objects.select_for_update().filter(program=program, code=code).first()
    before = None
    if existing is not None:
        before = {"name": existing.name, "minimum": existing.minimum, "active": existing.is_active}
    procedure, created = Procedure.objects.update_or_create(
        program=program,
        code=code,
        defaults={"name": name, "minimum": number, "is_active": is_active},
    )
    audit_record(
        actor=by,
        action="procedure.create" if created else "procedure.update",
        target=procedure,
        institution_id=program.institution_id,
        before=before,
        after={"name": name, "minimum": number, "active": is_active},
    )
    return procedure, created


@dataclass(frozen=True)
class ProcedureProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class ProcedureImportError(Exception):
    """The list was refused; nothing was written. `errors` names every problem found."""

    def __init__(self, errors: list[ProcedureProblem]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


_TRUE = {"", "yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise ProcedureImportError([ProcedureProblem(1, "", "This is not a text CSV file.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ProcedureImportError(
            [ProcedureProblem(line, "", "This is not UTF-8 text; save the file as CSV UTF-8.")]
        ) from error


@transaction.atomic
def procedures_import(*, program: Program, by: User, data: bytes) -> tuple[int, int]:
    """Import the program's procedure list from CSV (columns in docs/caselog.md): each row
    adds a procedure or changes the one with its code. All rows or none; every problem is
    named by its line and column. Returns (added, changed)."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ProcedureImportError([ProcedureProblem(0, "", "The file is larger than 1 MB.")])
    reader = csv.reader(io.StringIO(_decode(data)))
    errors: list[ProcedureProblem] = []
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ProcedureImportError([ProcedureProblem(1, "", "The file is empty.")]) from None
    except csv.Error as error:
        raise ProcedureImportError(
            [ProcedureProblem(1, "", f"Unreadable CSV: {error}.")]
        ) from error
    missing = [c for c in IMPORT_REQUIRED if c not in header]
    unknown = [c for c in header if c not in IMPORT_COLUMNS]
    if missing or unknown:
        for column in missing:
            errors.append(ProcedureProblem(1, column, "This column is missing."))
        for column in unknown:
            errors.append(
                ProcedureProblem(1, column, f"Unknown column; use {', '.join(IMPORT_COLUMNS)}.")
            )
        raise ProcedureImportError(errors)
    rows: list[tuple[str, str, int, bool]] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                errors.append(ProcedureProblem(line, "", f"At most {IMPORT_MAX_ROWS} rows."))
                break
            record = dict(zip(header, cells, strict=False))
            problems: dict[str, list[str]] = {}
            code, name, number = _procedure_values(
                code=record.get("code", ""),
                name=record.get("name", ""),
                minimum=record.get("minimum", ""),
                errors=problems,
            )
            active_text = record.get("active", "").strip().lower()
            if active_text not in _TRUE | _FALSE:
                problems["active"] = ["Give yes or no."]
            if code and code in seen:
                problems["code"] = [f"The code is already on line {seen[code]}."]
            for column, messages in problems.items():
                errors.extend(ProcedureProblem(line, column, m) for m in messages)
            if not problems:
                seen[code] = line
                rows.append((code, name, number, active_text in _TRUE))
    except csv.Error as error:
        errors.append(ProcedureProblem(reader.line_num, "", f"Unreadable CSV: {error}."))
    if not rows and not errors:
        errors.append(ProcedureProblem(2, "", "The file has a header but no rows."))
    if errors:
        raise ProcedureImportError(errors)
    existing = set(
        Procedure.objects.filter(program=program, code__in=[r[0] for r in rows]).values_list(
            "code", flat=True
        )
    )
    Procedure.objects.bulk_create(
        [Procedure(program=program, code=c, name=n, minimum=m, is_active=a) for c, n, m, a in rows],
        update_conflicts=True,
        unique_fields=["program", "code"],
        update_fields=["name", "minimum", "is_active"],
    )
    added = len(rows) - len(existing)
    audit_record(
        actor=by,
        action="procedure.import",
        target=program,
        institution_id=program.institution_id,
        after={"added": added, "changed": len(existing)},
    )
    return added, len(existing)


# --- Log entries ------------------------------------------------------------------------------


def supervisors_of(*, program_id: int) -> list[User]:
    """Who may supervise and verify a case of the program: its faculty, directors and
    committee members."""
    return list(
        User.objects.filter(
            program_roles__program_id=program_id,
            program_roles__role__in=ProgramRole.ASSESSOR_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def caselog_entry_record(
    *,
    learner: User,
    procedure_id: int,
    performed_on: dt.date,
    role: str,
    supervisor_id: int,
    age_band: str,
    sex: str,
    site: str = "",
    notes: str = "",
    client_token: uuid.UUID | None = None,
) -> tuple[CaseLogEntry, bool]:
    """Log a procedure or case. The procedure comes from the list of a program the learner
    is enrolled in now, the supervisor from that program's faculty; the site and notes are
    refused when they look like a patient identifier (`identifier_problems`). Idempotent on
    `client_token`: a double submit returns the first entry with created=False."""
    if client_token is not None:
        found = CaseLogEntry.objects.filter(client_token=client_token).first()
        if found is not None:
            if found.learner_id != learner.pk:
                raise ValidationError({"client_token": ["This token is already used."]})
            return found, False
    errors: dict[str, list[str]] = {}
    procedure = (
        Procedure.objects.filter(
            pk=procedure_id,
            is_active=True,
            program__in=Enrollment.objects.current().filter(learner=learner).values("program_id"),
        )
        .select_related("program__institution")
        .first()
    )
    if procedure is None:
        errors["procedure"] = ["Choose a procedure from your program's list."]
    if role not in CaseLogEntry.Role.values:
        errors["role"] = ["Choose observed, assisted, performed or supervised."]
    if age_band not in CaseLogEntry.AgeBand.values:
        errors["age_band"] = ["Choose the patient's age band."]
    if sex not in CaseLogEntry.Sex.values:
        errors["sex"] = ["Choose the patient's sex, or other or not recorded."]
    site, notes = site.strip(), notes.strip()
    if len(site) > SITE_MAX:
        errors["site"] = [f"Keep the site under {SITE_MAX} characters."]
    if len(notes) > NOTES_MAX:
        errors["notes"] = [f"Keep the notes under {NOTES_MAX} characters."]
    supervisor = None
    if procedure is not None:
        today = procedure.program.institution.local_today()
        if performed_on > today:
            errors["performed_on"] = ["A case cannot be dated in the future."]
        supervisor = next(
            (u for u in supervisors_of(program_id=procedure.program_id) if u.pk == supervisor_id),
            None,
        )
        if supervisor is None or supervisor.pk == learner.pk:
            errors["supervisor"] = ["Choose a supervisor from your program's faculty."]
        mrn = mrn_pattern_for(institution_id=procedure.program.institution_id)
        for field, problems in identifier_problems(
            values={"site": site, "notes": notes}, mrn_pattern=mrn
        ).items():
            errors.setdefault(field, []).extend(problems)
    if errors:
        raise ValidationError(errors)
    assert procedure is not None and supervisor is not None
    try:
        with transaction.atomic():
            entry = CaseLogEntry.objects.create(
                learner=learner,
                procedure=procedure,
                performed_on=performed_on,
                role=role,
                site=site,
                supervisor=supervisor,
                age_band=age_band,
                sex=sex,
                notes=notes,
                client_token=client_token,
            )
    except IntegrityError:
        found = CaseLogEntry.objects.filter(client_token=client_token, learner=learner).first()
        if client_token is None or found is None:
            raise
        return found, False
    return entry, True


class EntryVerifiedError(Exception):
    """A verified entry is part of the record: it is no longer the learner's to delete."""


def caselog_entry_delete(*, entry: CaseLogEntry) -> None:
    """Delete an entry the supervisor has not verified yet."""
    with transaction.atomic():
        deleted, _ = CaseLogEntry.objects.filter(pk=entry.pk, verified_at__isnull=True).delete()
    if not deleted:
        raise EntryVerifiedError("A verified entry cannot be deleted.")


def caselog_entry_verify(*, entry: CaseLogEntry, by: User) -> CaseLogEntry:
    """The supervisor the entry names confirms it. Verifying twice changes nothing."""
    if entry.supervisor_id != by.pk:
        raise PermissionError("Only the supervisor the entry names verifies it.")
    now = timezone.now()
    with transaction.atomic():
        CaseLogEntry.objects.filter(pk=entry.pk, verified_at__isnull=True).update(
            verified_at=now, verified_by=by
        )
    entry.refresh_from_db(fields=["verified_at", "verified_by"])
    return entry


@transaction.atomic
def caselog_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): a learner's log goes with them; entries they supervised or
    verified stay in their learners' logs, naming the anonymised account."""
    CaseLogEntry.objects.filter(learner=user).delete()

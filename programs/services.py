"""Writes for programs: set-up, roster import and review periods.

Every function is keyword-only, checks its own rules and runs in one transaction, so the HTML
pages, the API and the management commands share one behaviour. Who may call what is decided
by the callers through `programs.selectors`.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from audit.services import audit_record
from frameworks.models import Competency, Framework, ScaleLevel
from notifications.delivery import email_subject, site_url
from programs.expectations import ENTRY_LEVEL, GRADUATION_LEVEL, graduation_level
from programs.models import (
    Cohort,
    Enrollment,
    Expectation,
    Institution,
    InstitutionRole,
    Invitation,
    PracticeStage,
    PracticeTarget,
    Program,
    ProgramRole,
    ReviewPeriod,
)
from programs.signals import (
    enrollments_changed,
    review_period_dates_changed,
    review_period_dates_changing,
)

logger = logging.getLogger(__name__)

# --- Program set-up ----------------------------------------------------------------------


def _check_settings(duration_years: int, review_months: int, year_start_month: int) -> None:
    if not 1 <= duration_years <= 10:
        raise ValidationError({"duration_years": "A program lasts between 1 and 10 years."})
    if review_months not in (1, 2, 3, 4, 6, 12):
        raise ValidationError(
            {"review_months": "A review period lasts 1, 2, 3, 4, 6 or 12 months."}
        )
    if not 1 <= year_start_month <= 12:
        raise ValidationError({"year_start_month": "Give a month from 1 to 12."})


def _free_slug(institution: Institution, name: str) -> str:
    """A slug from the name, numbered if the institution already uses it."""
    base = slugify(name)[:70] or "program"
    taken = set(
        Program.objects.filter(institution=institution, slug__startswith=base)
        .order_by()
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def program_create(
    *,
    institution: Institution,
    name: str,
    stage: str,
    specialty: str,
    duration_years: int,
    review_months: int,
    year_start_month: int,
    frameworks: Iterable[Framework],
    director_email: str = "",
    by: User,
) -> Program:
    """A new program of the institution (institution administrators make them), with the
    frameworks it rates against and, if given, its director (an account is made for a new
    email, as for any role). Nothing is saved if anything is wrong."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the program a name."})
    if stage not in Program.Stage.values:
        raise ValidationError({"stage": "Choose one of the listed stages."})
    _check_settings(duration_years, review_months, year_start_month)
    if Program.objects.filter(institution=institution, name__iexact=name).exists():
        raise ValidationError({"name": f"{institution.name} already has a program named '{name}'."})
    program = Program(
        institution=institution,
        name=name,
        slug=_free_slug(institution, name),
        stage=stage,
        specialty=specialty.strip(),
        duration_years=duration_years,
        review_months=review_months,
        year_start_month=year_start_month,
    )
    program.full_clean()
    program.save()
    program.frameworks.set(list(frameworks))
    audit_record(
        actor=by,
        action="program.create",
        target=program,
        institution_id=institution.pk,
        after=_settings_of(program),
    )
    if director_email.strip():
        program_role_grant(
            program=program, email=director_email, role=ProgramRole.Role.DIRECTOR, by=by
        )
    return program


@transaction.atomic
def program_update(
    *,
    program: Program,
    name: str,
    specialty: str,
    duration_years: int,
    review_months: int,
    year_start_month: int,
    frameworks: Iterable[Framework],
    by: User | None = None,
) -> Program:
    """Change a program's settings and the frameworks it rates learners against."""
    _check_settings(duration_years, review_months, year_start_month)
    before = _settings_of(program)
    program.name = name.strip()
    program.specialty = specialty.strip()
    program.duration_years = duration_years
    program.review_months = review_months
    program.year_start_month = year_start_month
    program.full_clean()
    program.save()
    program.frameworks.set(list(frameworks))
    after = _settings_of(program)
    if after != before:
        audit_record(
            actor=by,
            action="program.update",
            target=program,
            institution_id=program.institution_id,
            before={key: value for key, value in before.items() if after[key] != value},
            after={key: value for key, value in after.items() if before[key] != value},
        )
    return program


def _settings_of(program: Program) -> dict[str, object]:
    """A program's settings as the audit log records them."""
    return {
        "name": program.name,
        "stage": program.stage,
        "specialty": program.specialty,
        "duration_years": program.duration_years,
        "review_months": program.review_months,
        "year_start_month": program.year_start_month,
        "frameworks": sorted(program.frameworks.values_list("code", "version")),
    }


@transaction.atomic
def cohort_create(
    *, program: Program, name: str, start_year: int, by: User | None = None
) -> Cohort:
    """Add a class of learners to a program; names are unique within the program."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the cohort a name, e.g. 'Class of 2028'."})
    if Cohort.objects.filter(program=program, name__iexact=name).exists():
        raise ValidationError({"name": f"This program already has a cohort named '{name}'."})
    if not 1900 <= start_year <= 2200:
        raise ValidationError({"start_year": "Give the year the cohort started, e.g. 2025."})
    cohort = Cohort.objects.create(program=program, name=name, start_year=start_year)
    audit_record(
        actor=by,
        action="cohort.create",
        target=cohort,
        institution_id=program.institution_id,
        after={"name": name, "start_year": start_year},
    )
    return cohort


def _user_for_email(email: str, name: str = "") -> User:
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, display_name=name.strip())
        user.set_unusable_password()
        user.save()
    return user


def _check_training_year(program: Program, training_year: int) -> None:
    if not 1 <= training_year <= program.duration_years:
        raise ValidationError(
            {
                "training_year": (
                    f"This program lasts {program.duration_years} years; "
                    f"give a year from 1 to {program.duration_years}."
                )
            }
        )


@transaction.atomic
def enrollment_create(
    *,
    program: Program,
    email: str,
    name: str = "",
    training_year: int,
    start_date: dt.date,
    cohort: Cohort | None = None,
    by: User | None = None,
) -> Enrollment:
    """Enrol someone (creating their account, without a password, if they have none)."""
    try:
        validate_email(email.strip())
    except ValidationError as error:
        raise ValidationError({"email": "Give a valid email address."}) from error
    _check_training_year(program, training_year)
    if cohort is not None and cohort.program_id != program.pk:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    learner = _user_for_email(email, name)
    if Enrollment.objects.current().filter(program=program, learner=learner).exists():
        raise ValidationError({"email": f"{learner.email} is already enrolled in this program."})
    enrollment = Enrollment.objects.create(
        program=program,
        learner=learner,
        cohort=cohort,
        training_year=training_year,
        start_date=start_date,
    )
    # Ratings of a returning or newly enrolled learner now count in the program's periods.
    enrollments_changed.send(sender=Enrollment, learner_ids=[learner.pk], program_id=program.pk)
    audit_record(
        actor=by,
        action="enrollment.create",
        target=enrollment,
        institution_id=program.institution_id,
        after=_enrollment_fields(enrollment),
    )
    return enrollment


def _enrollment_fields(enrollment: Enrollment) -> dict[str, object]:
    return {
        "learner": enrollment.learner.email,
        "training_year": enrollment.training_year,
        "cohort": enrollment.cohort.name if enrollment.cohort else None,
        "start_date": enrollment.start_date,
        "end_date": enrollment.end_date,
    }


@transaction.atomic
def enrollment_update(
    *,
    enrollment: Enrollment,
    training_year: int,
    cohort: Cohort | None,
    end_date: dt.date | None,
    by: User | None = None,
) -> Enrollment:
    """Move a learner to another year or cohort, or end their enrollment."""
    before = _enrollment_fields(enrollment)
    _check_training_year(enrollment.program, training_year)
    if cohort is not None and cohort.program_id != enrollment.program_id:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    if end_date is not None and end_date < enrollment.start_date:
        raise ValidationError({"end_date": "The end date is before the start date."})
    enrollment.training_year = training_year
    enrollment.cohort = cohort
    enrollment.end_date = end_date
    enrollment.save(update_fields=["training_year", "cohort", "end_date"])
    after = _enrollment_fields(enrollment)
    if (after["training_year"], after["end_date"]) != (before["training_year"], before["end_date"]):
        enrollments_changed.send(
            sender=Enrollment, learner_ids=[enrollment.learner_id], program_id=enrollment.program_id
        )
    if after != before:
        audit_record(
            actor=by,
            action="enrollment.update",
            target=enrollment,
            institution_id=enrollment.program.institution_id,
            before={key: value for key, value in before.items() if after[key] != value},
            after={key: value for key, value in after.items() if before[key] != value},
        )
    return enrollment


def _may_change_directors(program: Program, by: User) -> bool:
    return (
        by.is_superuser
        or ProgramRole.objects.filter(
            program=program, user=by, role=ProgramRole.Role.DIRECTOR
        ).exists()
    )


@transaction.atomic
def program_role_grant(*, program: Program, email: str, role: str, by: User | None) -> ProgramRole:
    """Give a person (by email; an account is made if needed) a role in the program.

    Only a director (or an admin) may make someone a director: a coordinator cannot raise
    anyone, themselves included, to sign-off rights.
    """
    if role not in ProgramRole.Role.values:
        raise ValidationError({"role": "Choose one of the listed roles."})
    if role == ProgramRole.Role.DIRECTOR and (by is None or not _may_change_directors(program, by)):
        raise ValidationError({"role": "Only a director or an administrator can add a director."})
    try:
        validate_email(email.strip())
    except ValidationError as error:
        raise ValidationError({"email": "Give a valid email address."}) from error
    user = _user_for_email(email)
    granted, created = ProgramRole.objects.get_or_create(program=program, user=user, role=role)
    if created:
        audit_record(
            actor=by,
            action="program_role.grant",
            target=granted,
            institution_id=program.institution_id,
            after={"person": user.email, "role": role, "program": program.name},
        )
    return granted


@transaction.atomic
def program_role_revoke(*, program_role: ProgramRole, by: User) -> None:
    """Take a role away. Only directors (or admins) remove directors, never the last one."""
    if program_role.role == ProgramRole.Role.DIRECTOR:
        if not _may_change_directors(program_role.program, by):
            raise ValidationError("Only a director or an administrator can remove a director.")
        directors = ProgramRole.objects.select_for_update().filter(
            program_id=program_role.program_id, role=ProgramRole.Role.DIRECTOR
        )
        if directors.count() <= 1:
            raise ValidationError(
                "A program needs a director: add another before removing this one."
            )
    audit_record(
        actor=by,
        action="program_role.revoke",
        target=program_role,
        institution_id=program_role.program.institution_id,
        before={
            "person": program_role.user.email,
            "role": program_role.role,
            "program": program_role.program.name,
        },
    )
    program_role.delete()


@transaction.atomic
def institution_role_grant(
    *, institution: Institution, user: User, role: str = InstitutionRole.Role.ADMIN, by: User | None
) -> InstitutionRole:
    """Give `user` a role across `institution` (an administrator, by a superuser in the
    admin); recorded in the audit log. Granting a role already held changes nothing."""
    held, created = InstitutionRole.objects.get_or_create(
        institution=institution, user=user, role=role
    )
    if created:
        audit_record(
            actor=by,
            action="institution_role.grant",
            target=held,
            institution_id=institution.pk,
            after={"person": user.email, "role": role, "institution": institution.name},
        )
    return held


@transaction.atomic
def institution_role_revoke(*, institution_role: InstitutionRole, by: User | None) -> None:
    """Take an institution role away; recorded in the audit log."""
    audit_record(
        actor=by,
        action="institution_role.revoke",
        target=institution_role,
        institution_id=institution_role.institution_id,
        before={
            "person": institution_role.user.email,
            "role": institution_role.role,
            "institution": institution_role.institution.name,
        },
    )
    institution_role.delete()


@transaction.atomic
def expectations_update(
    *,
    program: Program,
    levels: Mapping[tuple[int, int], Decimal | None],
    by: User | None = None,
) -> int:
    """Set expected levels per (competency id, training year).

    A level equal to the program default, or None, removes the override so later changes of
    the default apply. Levels must be on the competency's scale. Returns rows changed.
    """
    competencies = {
        c.pk: c
        for c in Competency.objects.filter(
            pk__in={cid for cid, _ in levels}, framework__in=program.frameworks.all()
        ).select_related("framework__scale")
    }
    allowed: dict[int, set[Decimal]] = {}
    errors: dict[str, str] = {}
    for (competency_id, year), level in levels.items():
        competency = competencies.get(competency_id)
        if competency is None:
            errors[f"{competency_id}-{year}"] = "Not a competency of this program's frameworks."
            continue
        if not 1 <= year <= program.duration_years:
            errors[f"{competency_id}-{year}"] = "Training year outside the program."
            continue
        if level is not None:
            scale_id = competency.framework.scale_id
            if scale_id not in allowed:
                allowed[scale_id] = competency.framework.scale.allowed_values()
            if Decimal(level) not in allowed[scale_id]:
                errors[f"{competency_id}-{year}"] = (
                    f"{level} is not a level of the {competency.framework.scale.name} scale."
                )
    if errors:
        raise ValidationError(errors)
    changed = 0
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    existing = {
        (e.competency_id, e.training_year): e
        for e in Expectation.objects.filter(program=program, competency_id__in=competencies)
    }
    for (competency_id, year), level in levels.items():
        current = existing.get((competency_id, year))
        old = current.level if current is not None else None
        if level is None or Decimal(level) == program.default_expected_level(year):
            new = None
            if current is not None:
                current.delete()
        elif current is None:
            new = Decimal(level)
            Expectation.objects.create(
                program=program, competency_id=competency_id, training_year=year, level=level
            )
        else:
            new = Decimal(level)
            if current.level != new:
                current.level = new
                current.save(update_fields=["level"])
        if old != new:
            changed += 1
            # None means the program's default level for that year.
            key = f"{competencies[competency_id].code} year {year}"
            before[key], after[key] = old, new
    if changed:
        audit_record(
            actor=by,
            action="expectations.update",
            target=program,
            institution_id=program.institution_id,
            before=before,
            after=after,
        )
    return changed


# --- Roster import -----------------------------------------------------------------------

ROSTER_REQUIRED = ("email", "training_year", "start_date")
ROSTER_OPTIONAL = ("name", "cohort", "end_date")
ROSTER_MAX_BYTES = 2_000_000
ROSTER_MAX_ROWS = 5_000
# Problems are kept until the end (all rows or none); past this many, checking stops, so a
# file of bad rows cannot fill memory with messages.
ROSTER_MAX_ERRORS = 200


@dataclass(frozen=True)
class RosterError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class RosterImportError(Exception):
    """The file was refused; nothing was written. `errors` names every problem found."""

    def __init__(self, errors: list[RosterError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass
class RosterResult:
    rows: int = 0
    accounts_created: int = 0
    enrollments_created: int = 0
    enrollments_updated: int = 0
    emails: list[str] = field(default_factory=list)


@dataclass
class _RosterRow:
    line: int
    email: str
    name: str
    training_year: int
    start_date: dt.date
    cohort: Cohort | None
    end_date: dt.date | None


def _decode_roster(data: bytes) -> str:
    if len(data) > ROSTER_MAX_BYTES:
        raise RosterImportError(
            [RosterError(0, "", f"The file is larger than {ROSTER_MAX_BYTES // 1_000_000} MB.")]
        )
    if b"\x00" in data:
        raise RosterImportError(
            [
                RosterError(
                    1, "", "This is not a text CSV file (UTF-16 or binary); save it as CSV UTF-8."
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RosterImportError(
            [
                RosterError(
                    line,
                    "",
                    f"Byte 0x{data[error.start]:02x} is not UTF-8 text; save the file as "
                    "CSV UTF-8 (in a spreadsheet: 'CSV UTF-8 (comma delimited)').",
                )
            ]
        ) from error


def _parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def roster_parse(*, program: Program, data: bytes) -> list[_RosterRow]:
    """Read and check a roster file; raise RosterImportError listing every bad cell."""
    text = _decode_roster(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header_row = next(reader)
    except StopIteration:
        raise RosterImportError([RosterError(1, "", "The file is empty.")]) from None
    except csv.Error as error:
        raise RosterImportError([RosterError(1, "", f"Unreadable CSV: {error}.")]) from error
    header = [h.strip().lower().replace(" ", "_") for h in header_row]
    errors: list[RosterError] = []
    known = set(ROSTER_REQUIRED + ROSTER_OPTIONAL)
    for name in header:
        if name not in known:
            errors.append(
                RosterError(
                    1,
                    name,
                    "Unknown column; the columns are "
                    + ", ".join(ROSTER_REQUIRED + ROSTER_OPTIONAL)
                    + ".",
                )
            )
    for name in ROSTER_REQUIRED:
        if name not in header:
            errors.append(RosterError(1, name, "Required column missing from the header."))
    duplicates = {h for h in header if header.count(h) > 1}
    for name in sorted(duplicates):
        errors.append(RosterError(1, name, "Column appears more than once."))
    if errors:
        raise RosterImportError(errors)

    cohorts = {c.name.lower(): c for c in Cohort.objects.filter(program=program)}
    seen: dict[str, int] = {}
    rows: list[_RosterRow] = []
    data_rows = 0
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            data_rows += 1
            if data_rows > ROSTER_MAX_ROWS:
                errors.append(RosterError(line, "", f"More than {ROSTER_MAX_ROWS} rows."))
                break
            if len(errors) >= ROSTER_MAX_ERRORS:
                errors.append(
                    RosterError(line, "", f"Checking stopped after {ROSTER_MAX_ERRORS} problems.")
                )
                break
            if len(values) != len(header):
                errors.append(
                    RosterError(line, "", f"Expected {len(header)} fields, found {len(values)}.")
                )
                continue
            record = {h: v.strip() for h, v in zip(header, values, strict=True)}
            row_errors: list[RosterError] = []

            email = record["email"].lower()
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(RosterError(line, "email", f"'{email}' is not an email."))
            if email in seen:
                row_errors.append(
                    RosterError(line, "email", f"{email} is already on line {seen[email]}.")
                )
            elif email:
                seen[email] = line

            training_year = 0
            try:
                training_year = int(record["training_year"])
            except ValueError:
                row_errors.append(
                    RosterError(line, "training_year", "Give the training year as a number.")
                )
            else:
                if not 1 <= training_year <= program.duration_years:
                    row_errors.append(
                        RosterError(
                            line,
                            "training_year",
                            f"Give a year from 1 to {program.duration_years}.",
                        )
                    )

            start_date = dt.date.min
            try:
                start_date = _parse_date(record["start_date"])
            except ValueError:
                row_errors.append(RosterError(line, "start_date", "Give the date as YYYY-MM-DD."))

            end_date: dt.date | None = None
            if record.get("end_date"):
                try:
                    end_date = _parse_date(record["end_date"])
                except ValueError:
                    row_errors.append(RosterError(line, "end_date", "Give the date as YYYY-MM-DD."))
                else:
                    if start_date != dt.date.min and end_date < start_date:
                        row_errors.append(
                            RosterError(line, "end_date", "The end date is before the start.")
                        )

            cohort: Cohort | None = None
            if record.get("cohort"):
                cohort = cohorts.get(record["cohort"].lower())
                if cohort is None:
                    row_errors.append(
                        RosterError(
                            line,
                            "cohort",
                            f"No cohort '{record['cohort']}' in this program; create it first.",
                        )
                    )

            name = record.get("name", "")
            if len(name) > 150:
                row_errors.append(RosterError(line, "name", "At most 150 characters."))

            if row_errors:
                errors.extend(row_errors)
                continue
            rows.append(_RosterRow(line, email, name, training_year, start_date, cohort, end_date))
    except csv.Error as error:
        errors.append(RosterError(reader.line_num, "", f"Unreadable CSV: {error}."))
    if errors:
        raise RosterImportError(errors)
    if not rows:
        raise RosterImportError([RosterError(2, "", "The file has a header but no learners.")])
    return rows


def roster_import(*, program: Program, data: bytes, by: User | None = None) -> RosterResult:
    """Import a roster CSV (columns in docs/programs.md). All rows or none.

    New emails get an account without a password (they sign in through 'forgot password' or
    SSO). An open enrollment in this program is updated; otherwise one is created.
    """
    rows = roster_parse(program=program, data=data)
    result = RosterResult(rows=len(rows))
    with transaction.atomic():
        users = {u.email.lower(): u for u in User.objects.filter(email__in=[r.email for r in rows])}
        for row in rows:
            if row.email not in users:
                user = User(email=row.email, display_name=row.name)
                user.set_unusable_password()
                users[row.email] = user
                result.accounts_created += 1
        User.objects.bulk_create([u for u in users.values() if u.pk is None])
        users = {u.email.lower(): u for u in User.objects.filter(email__in=[r.email for r in rows])}
        open_enrollments = {
            e.learner_id: e
            for e in Enrollment.objects.current().filter(
                program=program, learner__in=users.values()
            )
        }
        to_create: list[Enrollment] = []
        to_update: list[Enrollment] = []
        for row in rows:
            user = users[row.email]
            existing = open_enrollments.get(user.pk)
            if existing is None:
                to_create.append(
                    Enrollment(
                        program=program,
                        learner=user,
                        cohort=row.cohort,
                        training_year=row.training_year,
                        start_date=row.start_date,
                        end_date=row.end_date,
                    )
                )
            else:
                existing.cohort = row.cohort or existing.cohort
                existing.training_year = row.training_year
                existing.start_date = row.start_date
                existing.end_date = row.end_date
                to_update.append(existing)
            result.emails.append(row.email)
        Enrollment.objects.bulk_create(to_create)
        enrollments_changed.send(
            sender=Enrollment, learner_ids=[e.learner_id for e in to_create], program_id=program.pk
        )
        Enrollment.objects.bulk_update(
            to_update, ["cohort", "training_year", "start_date", "end_date"]
        )
        if to_update:
            enrollments_changed.send(
                sender=Enrollment,
                learner_ids=[e.learner_id for e in to_update],
                program_id=program.pk,
            )
        result.enrollments_created = len(to_create)
        result.enrollments_updated = len(to_update)
        audit_record(
            actor=by,
            action="roster.import",
            target=program,
            institution_id=program.institution_id,
            after={
                "rows": result.rows,
                "accounts_created": result.accounts_created,
                "enrollments_created": result.enrollments_created,
                "enrollments_updated": result.enrollments_updated,
            },
        )
    return result


# --- Review periods ----------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_no_overlap(
    program_id: int, start_date: dt.date, end_date: dt.date, besides: int | None = None
) -> None:
    """Refuse dates that overlap another period of the program (locked until commit)."""
    periods = ReviewPeriod.objects.select_for_update().filter(
        program_id=program_id, start_date__lte=end_date, end_date__gte=start_date
    )
    if besides is not None:
        periods = periods.exclude(pk=besides)
    overlapping = periods.first()
    if overlapping is not None:
        raise ValidationError({"start_date": f"Overlaps the period '{overlapping.name}'."})


@transaction.atomic
def review_period_create(
    *,
    program: Program,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    is_year_end: bool = False,
    by: User | None = None,
) -> ReviewPeriod:
    """Add one review period; periods of a program never overlap."""
    if end_date < start_date:
        raise ValidationError({"end_date": "The period ends before it starts."})
    _check_no_overlap(program.pk, start_date, end_date)
    period = ReviewPeriod.objects.create(
        program=program,
        name=name.strip() or f"{start_date:%b %Y} – {end_date:%b %Y}",
        start_date=start_date,
        end_date=end_date,
        is_year_end=is_year_end,
    )
    review_period_dates_changed.send(sender=ReviewPeriod, period_id=period.pk)
    audit_record(
        actor=by,
        action="review_period.create",
        target=period,
        institution_id=program.institution_id,
        after=_period_fields(period),
    )
    return period


def _period_fields(period: ReviewPeriod) -> dict[str, object]:
    return {
        "name": period.name,
        "start_date": period.start_date,
        "end_date": period.end_date,
        "is_year_end": period.is_year_end,
    }


@transaction.atomic
def review_period_update(
    *,
    period: ReviewPeriod,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    is_year_end: bool = False,
    by: User | None = None,
) -> ReviewPeriod:
    """Correct a review period: its name, its dates, whether it closes a training year.

    Periods never overlap. Once the committee has recorded a consensus in the period, its
    dates stay as they were: the consensus rests on the evidence those dates took in (committee
    review refuses them through `review_period_dates_changing`). When the dates change, the
    period's rating summary is rebuilt for the new dates."""
    period = ReviewPeriod.objects.select_for_update().get(pk=period.pk)
    if end_date < start_date:
        raise ValidationError({"end_date": "The period ends before it starts."})
    before = _period_fields(period)
    dates_change = (start_date, end_date) != (period.start_date, period.end_date)
    if dates_change:
        review_period_dates_changing.send(sender=ReviewPeriod, period=period)
        _check_no_overlap(period.program_id, start_date, end_date, besides=period.pk)
    period.name = name.strip() or period.name
    period.start_date, period.end_date = start_date, end_date
    period.is_year_end = is_year_end
    period.save(update_fields=["name", "start_date", "end_date", "is_year_end"])
    if dates_change:
        review_period_dates_changed.send(sender=ReviewPeriod, period_id=period.pk)
    after = _period_fields(period)
    if after != before:
        audit_record(
            actor=by,
            action="review_period.update",
            target=period,
            institution_id=period.program.institution_id,
            before={key: value for key, value in before.items() if after[key] != value},
            after={key: value for key, value in after.items() if before[key] != value},
        )
    return period


@transaction.atomic
def review_periods_generate(*, program: Program, first_year: int, years: int) -> list[ReviewPeriod]:
    """Create the program's periods for `years` training years from `first_year`.

    Periods are `program.review_months` long, start on the training-year start month, and the
    one ending a training year is marked as year-end. Existing periods are kept; new ones
    that would overlap them are skipped.
    """
    if not 1 <= years <= 20:
        raise ValidationError({"years": "Generate between 1 and 20 years at a time."})
    created: list[ReviewPeriod] = []
    per_year = max(12 // program.review_months, 1)
    for year in range(first_year, first_year + years):
        start = dt.date(year, program.year_start_month, 1)
        for index in range(per_year):
            period_start = _add_months(start, index * program.review_months)
            period_end = _add_months(period_start, program.review_months) - dt.timedelta(days=1)
            if ReviewPeriod.objects.filter(
                program=program, start_date__lte=period_end, end_date__gte=period_start
            ).exists():
                continue
            label = f"{year}–{(year + 1) % 100:02d}"
            if per_year == 2:
                label += " mid-year" if index == 0 else " year-end"
            elif per_year > 2:
                label += f" period {index + 1}"
            created.append(
                ReviewPeriod.objects.create(
                    program=program,
                    name=label,
                    start_date=period_start,
                    end_date=period_end,
                    is_year_end=index == per_year - 1,
                )
            )
    for period in created:
        review_period_dates_changed.send(sender=ReviewPeriod, period_id=period.pk)
    return created


# --- Invitations -------------------------------------------------------------------------

INVITATION_DAYS = 14
# The session keeps the link of an invitation being accepted, so that signing in any way
# (password, SSO, a new account) accepts it (programs.receivers).
PENDING_INVITATION = "programs.pending_invitation"
_INVITATION_SALT = "programs.invitation"


class InvitationRefused(Exception):
    """An invitation that cannot be used, with the sentence to show the person."""

    def __init__(self, message: str, *, status: int = 410) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def invitation_token(invitation: Invitation) -> str:
    """The secret in the invitation's link: its id and nonce, signed with SECRET_KEY. A new
    nonce (on resending) makes every earlier link stop working."""
    return signing.dumps([invitation.pk, invitation.nonce], salt=_INVITATION_SALT)


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link names, whatever its state; InvitationRefused(404) if the link was
    never valid or has been replaced by a newer one."""
    try:
        pk, nonce = signing.loads(token, salt=_INVITATION_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvitationRefused(
            "This invitation link is not valid. Check that you opened the whole link from the "
            "email, or ask the program for a new invitation.",
            status=404,
        ) from None
    invitation = (
        Invitation.objects.select_related("program__institution", "cohort", "invited_by")
        .filter(pk=pk, nonce=nonce)
        .first()
    )
    if invitation is None:
        raise InvitationRefused(
            "This invitation link has been replaced by a newer one or withdrawn. Use the "
            "latest email from the program, or ask them to invite you again.",
            status=404,
        )
    return invitation


def invitation_check_usable(invitation: Invitation) -> None:
    """Refuse an invitation that was used, withdrawn or has expired, saying which."""
    if invitation.accepted_at is not None:
        raise InvitationRefused(
            "This invitation has already been used. Sign in to reach the program; if that was "
            "not you, tell the program."
        )
    if invitation.revoked_at is not None:
        raise InvitationRefused(
            "The program has withdrawn this invitation. Ask them to invite you again."
        )
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(
            f"This invitation expired on {timezone.localtime(invitation.expires_at):%d %B %Y}. "
            f"Ask {invitation.program.name} to invite you again."
        )


def _check_invitation_fields(
    *, program: Program, role: str, training_year: int | None, cohort: Cohort | None, by: User
) -> None:
    if role not in dict(Invitation.ROLE_CHOICES):
        raise ValidationError({"role": "Choose one of the listed roles."})
    if role == ProgramRole.Role.DIRECTOR and not _may_change_directors(program, by):
        raise ValidationError(
            {"role": "Only a director or an administrator can invite a director."}
        )
    if role == Invitation.LEARNER:
        if training_year is None:
            raise ValidationError({"training_year": "Give the learner's training year."})
        _check_training_year(program, training_year)
    if cohort is not None and cohort.program_id != program.pk:
        raise ValidationError({"cohort": "That cohort belongs to another program."})


@transaction.atomic
def invitation_create(
    *,
    program: Program,
    email: str,
    role: str,
    by: User,
    name: str = "",
    training_year: int | None = None,
    cohort: Cohort | None = None,
) -> Invitation:
    """Invite someone by email to the program as a learner (with a training year) or in a role,
    and queue the email. Inviting the same person to the same role again renews the open
    invitation (a new link, a new expiry, the old link stops working) instead of adding one."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": "Give a valid email address."}) from error
    email = User.objects.normalize_email(email).lower()
    _check_invitation_fields(
        program=program, role=role, training_year=training_year, cohort=cohort, by=by
    )
    expires_at = timezone.now() + dt.timedelta(days=INVITATION_DAYS)
    invitation = (
        Invitation.objects.select_for_update()
        .filter(
            program=program,
            email=email,
            role=role,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .first()
    )
    if invitation is None:
        invitation = Invitation(program=program, email=email, role=role)
    invitation.name = name.strip()[:150]
    invitation.training_year = training_year if role == Invitation.LEARNER else None
    invitation.cohort = cohort if role == Invitation.LEARNER else None
    invitation.nonce = secrets.token_hex(16)
    invitation.invited_by = by
    invitation.expires_at = expires_at
    invitation.email_sent_at = None
    invitation.save()
    audit_record(
        actor=by,
        action="invitation.create",
        target=invitation,
        institution_id=program.institution_id,
        after={
            "email": email,
            "role": role,
            "program": program.name,
            "training_year": invitation.training_year,
            "cohort": cohort.name if cohort else None,
        },
    )
    invitation_id = invitation.pk
    transaction.on_commit(lambda: _queue_invitation_email(invitation_id))
    return invitation


def _queue_invitation_email(invitation_id: int) -> None:
    """Hand the email to the broker. Never raises: the row is written, and the sweeper
    (`invitations_sweep`) sends what the broker did not take."""
    from programs.tasks import invitation_email_send  # tasks import services: break the cycle

    try:
        invitation_email_send.apply_async((invitation_id,), retry=False)
    except Exception:
        logger.warning("could not queue invitation %s; the sweeper will send it", invitation_id)


def invitations_unsent(*, older_than: dt.timedelta) -> list[int]:
    """Open invitations whose email has not gone out, past the grace left to their own task."""
    return list(
        Invitation.objects.open()
        .filter(email_sent_at__isnull=True, created_at__lt=timezone.now() - older_than)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )


def invitation_email_deliver(*, invitation_id: int) -> bool:
    """Email an open invitation its link, once per renewal. Returns whether this call sent it;
    a failed send leaves it to be sent again."""
    claimed = Invitation.objects.open().filter(pk=invitation_id, email_sent_at__isnull=True)
    if not claimed.update(email_sent_at=timezone.now()):
        return False
    invitation = Invitation.objects.select_related("program__institution", "invited_by").get(
        pk=invitation_id
    )
    link = site_url(reverse("invitation-accept", args=[invitation_token(invitation)]))
    context = {"invitation": invitation, "link": link}
    try:
        send_mail(
            subject=email_subject(f"Join {invitation.program.name} on Continuum"),
            message=render_to_string("programs/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except Exception:
        Invitation.objects.filter(pk=invitation_id).update(email_sent_at=None)
        raise
    return True


@transaction.atomic
def invitations_create_from_roster(
    *, program: Program, emails: Iterable[str], by: User
) -> list[Invitation]:
    """Invite the learners of an imported roster who have never signed in, with the training
    year and cohort the roster gave them (their enrollment exists already)."""
    enrollments = (
        Enrollment.objects.current()
        .filter(program=program, learner__email__in=list(emails), learner__last_login__isnull=True)
        .select_related("learner", "cohort")
    )
    return [
        invitation_create(
            program=program,
            email=enrollment.learner.email,
            role=Invitation.LEARNER,
            name=enrollment.learner.display_name,
            training_year=enrollment.training_year,
            cohort=enrollment.cohort,
            by=by,
        )
        for enrollment in enrollments
    ]


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Withdraw an invitation that has not been used: its link stops working."""
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has been accepted; remove the role instead.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action="invitation.revoke",
            target=invitation,
            institution_id=invitation.program.institution_id,
            before={"email": invitation.email, "role": invitation.role},
        )
    return invitation


def invitation_mismatch_message(invitation: Invitation, user: User) -> str:
    return (
        f"This invitation was sent to {invitation.email}, and you are signed in as "
        f"{user.email}. Sign out and sign in (or create an account) with {invitation.email}, "
        f"or ask the program to invite {user.email} instead. Nothing has changed."
    )


def invitation_welcome(invitation: Invitation) -> str:
    return f"Welcome to {invitation.program.name}: you joined as {invitation.role_label}."


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Invitation:
    """Join the program as the invitation says, for the person it was sent to, once.

    A learner is enrolled (an enrollment from the roster stays as the roster made it); anyone
    else gets the role. Refused with InvitationRefused, changing nothing, if the invitation is
    used, withdrawn, expired, or for another email address.
    """
    invitation = (
        Invitation.objects.select_for_update().select_related("program").get(pk=invitation.pk)
    )
    invitation_check_usable(invitation)
    if user.email.lower() != invitation.email.lower():
        raise InvitationRefused(invitation_mismatch_message(invitation, user), status=403)
    program = invitation.program
    if invitation.name and not user.display_name:
        user.display_name = invitation.name
        user.save(update_fields=["display_name"])
    if invitation.role == Invitation.LEARNER:
        if not Enrollment.objects.current().filter(program=program, learner=user).exists():
            enrollment_create(
                program=program,
                email=user.email,
                training_year=invitation.training_year or 1,
                start_date=timezone.localdate(),
                cohort=invitation.cohort,
                by=invitation.invited_by,
            )
    else:
        ProgramRole.objects.get_or_create(program=program, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action="invitation.accept",
        target=invitation,
        institution_id=program.institution_id,
        after={"email": user.email, "role": invitation.role, "program": program.name},
    )
    return invitation


@transaction.atomic
def invitation_account_set_up(*, invitation: Invitation, name: str, password: str) -> User:
    """For an invited person without a way to sign in (a new email, or an account the roster
    made): set their name and password. The link came to their inbox, so their email is
    verified; an account that can already sign in is refused (it signs in instead)."""
    invitation_check_usable(invitation)
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None and user.has_usable_password():
        raise InvitationRefused(
            "You already have an account: sign in to accept the invitation.", status=409
        )
    if user is None:
        user = User(email=invitation.email)
    user.display_name = name.strip()[:150] or user.display_name
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=user.email,
        defaults={"email": user.email, "verified": True, "primary": True},
    )
    return user


@transaction.atomic
def programs_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): the person's roles go; their enrollments stay as the
    program's record of an anonymised former learner, ended today if still open, so the stub
    leaves current cohorts, heatmaps and flags but past reviews still show."""
    ProgramRole.objects.filter(user=user).delete()
    InstitutionRole.objects.filter(user=user).delete()
    # Practice is the person's own stage, not a program's record.
    PracticeStage.objects.filter(learner=user).delete()
    # An invitation names the person by e-mail: it goes with them, accepted or not.
    Invitation.objects.filter(Q(accepted_by=user) | Q(email__iexact=user.email)).delete()
    today = timezone.localdate()
    for enrollment in Enrollment.objects.current().filter(learner=user).select_for_update():
        enrollment.end_date = max(today, enrollment.start_date)
        enrollment.save(update_fields=["end_date"])


# --- Practice: the learner's own stage -------------------------------------------------------


def graduation_targets(*, learner: User, competencies: Iterable[Competency]) -> dict[int, Decimal]:
    """Per competency id, the highest level any ended enrollment of the learner expected of
    them at its end (the program's own levels where it set them); absent where no program of
    theirs used the competency's framework. Two queries."""
    competencies = list(competencies)
    frameworks = {c.framework_id for c in competencies}
    ended = list(
        Enrollment.objects.filter(learner=learner, end_date__isnull=False)
        .select_related("program")
        .prefetch_related("program__frameworks")
    )
    overrides: dict[int, dict[tuple[int, int], Decimal]] = {}
    for row in Expectation.objects.filter(
        program_id__in={e.program_id for e in ended}, competency__in=competencies
    ).values_list("program_id", "competency_id", "training_year", "level"):
        overrides.setdefault(row[0], {})[(row[1], row[2])] = row[3]
    levels: dict[int, Decimal] = {}
    for enrollment in ended:
        used = {f.pk for f in enrollment.program.frameworks.all()} & frameworks
        for competency in competencies:
            if competency.framework_id not in used:
                continue
            level = graduation_level(
                enrollment.program,
                overrides.get(enrollment.program_id, {}),
                competency.pk,
                enrollment.training_year,
            )
            levels[competency.pk] = max(level, levels.get(competency.pk, level))
    return levels


def _practice_frameworks(framework_ids: Iterable[int]) -> list[Framework]:
    wanted = {int(pk) for pk in framework_ids}
    if not wanted:
        raise ValidationError({"frameworks": ["Choose at least one framework to follow."]})
    frameworks = list(Framework.objects.filter(pk__in=wanted))
    if len(frameworks) != len(wanted):
        raise ValidationError({"frameworks": ["Choose frameworks from the list."]})
    return frameworks


def _targets_for(
    *, learner: User, stage: PracticeStage, frameworks: list[Framework]
) -> list[PracticeTarget]:
    """New targets for every ratable competency of `frameworks`: the graduation target, or the
    default graduation level where no program of the learner's used the framework."""
    competencies = list(Competency.objects.ratable().filter(framework__in=frameworks))
    graduation = graduation_targets(learner=learner, competencies=competencies)
    return [
        PracticeTarget(
            stage=stage,
            competency=competency,
            level=graduation.get(competency.pk, GRADUATION_LEVEL),
            floor=graduation.get(competency.pk, ENTRY_LEVEL),
        )
        for competency in competencies
    ]


def practice_start(
    *,
    learner: User,
    specialty: str,
    framework_ids: Iterable[int],
    start_date: dt.date | None = None,
) -> tuple[PracticeStage, bool]:
    """Open the learner's own practice stage, following the frameworks they chose, each
    competency's target set to the level expected at their graduation (default level 4).

    Only when no enrollment of theirs is open: practice follows training. Starting again
    while a stage is open returns that stage and `created=False` (a double submit)."""
    existing = PracticeStage.objects.current().filter(learner=learner).first()
    if existing is not None:
        return existing, False
    today = timezone.localdate()
    day = start_date or today
    errors: dict[str, list[str]] = {}
    if Enrollment.objects.current().filter(learner=learner).exists():
        errors["__all__"] = [
            "Your training is still open: practice starts once your last enrollment ends."
        ]
    last_end = (
        Enrollment.objects.filter(learner=learner)
        .order_by("-end_date")
        .values_list("end_date", flat=True)
        .first()
    )
    if day > today:
        errors["start_date"] = ["Practice cannot start in the future."]
    elif last_end is not None and day < last_end:
        errors["start_date"] = [f"Practice starts after your training ended ({last_end})."]
    if len(specialty) > 120:
        errors["specialty"] = ["Keep the specialty under 120 characters."]
    try:
        frameworks = _practice_frameworks(framework_ids)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            stage = PracticeStage.objects.create(
                learner=learner, specialty=specialty.strip(), start_date=day
            )
            stage.frameworks.set(frameworks)
            PracticeTarget.objects.bulk_create(
                _targets_for(learner=learner, stage=stage, frameworks=frameworks)
            )
    except IntegrityError:
        # Two submissions raced; the other opened the stage.
        existing = PracticeStage.objects.current().filter(learner=learner).first()
        if existing is None:
            raise
        return existing, False
    return stage, True


@transaction.atomic
def practice_update(
    *, stage: PracticeStage, specialty: str, framework_ids: Iterable[int]
) -> PracticeStage:
    """Change the specialty and the frameworks followed: a framework added gets graduation
    targets, one dropped loses its targets (ratings made against it stay)."""
    if len(specialty) > 120:
        raise ValidationError({"specialty": ["Keep the specialty under 120 characters."]})
    frameworks = _practice_frameworks(framework_ids)
    before = set(stage.frameworks.values_list("pk", flat=True))
    added = [f for f in frameworks if f.pk not in before]
    stage.specialty = specialty.strip()
    stage.save(update_fields=["specialty"])
    stage.frameworks.set(frameworks)
    PracticeTarget.objects.filter(stage=stage).exclude(
        competency__framework__in=frameworks
    ).delete()
    if added:
        PracticeTarget.objects.bulk_create(
            _targets_for(learner=stage.learner, stage=stage, frameworks=added)
        )
    return stage


class PracticeTargetsInvalidError(ValidationError):
    """Targets that cannot be set; `item_errors` maps competency ids to messages. Nothing was
    written."""

    def __init__(self, errors: dict[str, list[str]], item_errors: dict[int, list[str]]) -> None:
        super().__init__(errors)
        self.item_errors = item_errors


def _parse_level(raw: Decimal | str) -> Decimal | None:
    try:
        level = Decimal(str(raw).strip())
    except ArithmeticError:
        return None
    return level if level.is_finite() else None


@transaction.atomic
def practice_targets_set(
    *, stage: PracticeStage, levels: Mapping[int, Decimal | str]
) -> list[PracticeTarget]:
    """Set the learner's own target levels. Each must be on its framework's scale and no lower
    than the level expected at graduation (expected levels never drop at a transition);
    otherwise nothing changes."""
    targets = {
        t.competency_id: t
        for t in PracticeTarget.objects.filter(stage=stage).select_related(
            "competency", "competency__framework__scale"
        )
    }
    scale_ids = {t.competency.framework.scale_id for t in targets.values()}
    allowed: dict[int, set[Decimal]] = {}
    for scale_id, value in ScaleLevel.objects.filter(scale_id__in=scale_ids).values_list(
        "scale_id", "value"
    ):
        allowed.setdefault(scale_id, set()).add(value)
    item_errors: dict[int, list[str]] = {}
    changed: list[PracticeTarget] = []
    for raw_id, raw_level in levels.items():
        target = targets.get(int(raw_id))
        if target is None:
            item_errors[int(raw_id)] = ["Not a competency of the frameworks you follow."]
            continue
        level = _parse_level(raw_level)
        scale = allowed.get(target.competency.framework.scale_id, set())
        if level is None or level not in scale:
            values = ", ".join(f"{v.normalize():f}" for v in sorted(scale))
            item_errors[target.competency_id] = [f"Choose a level on the scale ({values})."]
        elif level < target.floor:
            item_errors[target.competency_id] = [
                f"At graduation you were expected at {target.floor.normalize():f}: "
                "a target does not go below that."
            ]
        elif level != target.level:
            target.level = level
            changed.append(target)
    if item_errors:
        label = {pk: t.competency.code for pk, t in targets.items()}
        raise PracticeTargetsInvalidError(
            {
                "targets": [
                    f"{label.get(pk, f'Competency {pk}')}: {message}"
                    for pk, messages in item_errors.items()
                    for message in messages
                ]
            },
            item_errors,
        )
    PracticeTarget.objects.bulk_update(changed, ["level"])
    return list(targets.values())


@transaction.atomic
def invitations_expire(*, before: dt.datetime) -> int:
    """Retention (docs/privacy.md): delete invitations never accepted that expired, or were
    withdrawn, before `before`; they name people who may never have signed up."""
    deleted, _ = (
        Invitation.objects.filter(accepted_at__isnull=True)
        .filter(Q(expires_at__lt=before) | Q(revoked_at__lt=before))
        .delete()
    )
    return int(deleted)

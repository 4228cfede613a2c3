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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from frameworks.models import Competency, Framework, ScaleLevel
from programs.expectations import ENTRY_LEVEL, GRADUATION_LEVEL, graduation_level
from programs.models import (
    Cohort,
    Enrollment,
    Expectation,
    Institution,
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
) -> Program:
    """Change a program's settings and the frameworks it rates learners against."""
    _check_settings(duration_years, review_months, year_start_month)
    program.name = name.strip()
    program.specialty = specialty.strip()
    program.duration_years = duration_years
    program.review_months = review_months
    program.year_start_month = year_start_month
    program.full_clean()
    program.save()
    program.frameworks.set(list(frameworks))
    return program


@transaction.atomic
def cohort_create(*, program: Program, name: str, start_year: int) -> Cohort:
    """Add a class of learners to a program; names are unique within the program."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the cohort a name, e.g. 'Class of 2028'."})
    if Cohort.objects.filter(program=program, name__iexact=name).exists():
        raise ValidationError({"name": f"This program already has a cohort named '{name}'."})
    if not 1900 <= start_year <= 2200:
        raise ValidationError({"start_year": "Give the year the cohort started, e.g. 2025."})
    return Cohort.objects.create(program=program, name=name, start_year=start_year)


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
    return enrollment


@transaction.atomic
def enrollment_update(
    *,
    enrollment: Enrollment,
    training_year: int,
    cohort: Cohort | None,
    end_date: dt.date | None,
) -> Enrollment:
    """Move a learner to another year or cohort, or end their enrollment."""
    _check_training_year(enrollment.program, training_year)
    if cohort is not None and cohort.program_id != enrollment.program_id:
        raise ValidationError({"cohort": "That cohort belongs to another program."})
    if end_date is not None and end_date < enrollment.start_date:
        raise ValidationError({"end_date": "The end date is before the start date."})
    enrollment.training_year = training_year
    enrollment.cohort = cohort
    enrollment.end_date = end_date
    enrollment.save(update_fields=["training_year", "cohort", "end_date"])
    return enrollment


@transaction.atomic
def _may_change_directors(program: Program, by: User) -> bool:
    return (
        by.is_superuser
        or ProgramRole.objects.filter(
            program=program, user=by, role=ProgramRole.Role.DIRECTOR
        ).exists()
    )


def program_role_grant(*, program: Program, email: str, role: str, by: User) -> ProgramRole:
    """Give a person (by email; an account is made if needed) a role in the program.

    Only a director (or an admin) may make someone a director: a coordinator cannot raise
    anyone, themselves included, to sign-off rights.
    """
    if role not in ProgramRole.Role.values:
        raise ValidationError({"role": "Choose one of the listed roles."})
    if role == ProgramRole.Role.DIRECTOR and not _may_change_directors(program, by):
        raise ValidationError({"role": "Only a director or an administrator can add a director."})
    try:
        validate_email(email.strip())
    except ValidationError as error:
        raise ValidationError({"email": "Give a valid email address."}) from error
    user = _user_for_email(email)
    granted, _ = ProgramRole.objects.get_or_create(program=program, user=user, role=role)
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
    program_role.delete()


@transaction.atomic
def expectations_update(
    *, program: Program, levels: Mapping[tuple[int, int], Decimal | None]
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
    existing = {
        (e.competency_id, e.training_year): e
        for e in Expectation.objects.filter(program=program, competency_id__in=competencies)
    }
    for (competency_id, year), level in levels.items():
        current = existing.get((competency_id, year))
        if level is None or Decimal(level) == program.default_expected_level(year):
            if current is not None:
                current.delete()
                changed += 1
        elif current is None:
            Expectation.objects.create(
                program=program, competency_id=competency_id, training_year=year, level=level
            )
            changed += 1
        elif current.level != Decimal(level):
            current.level = Decimal(level)
            current.save(update_fields=["level"])
            changed += 1
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


def roster_import(*, program: Program, data: bytes) -> RosterResult:
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
        result.enrollments_created = len(to_create)
        result.enrollments_updated = len(to_update)
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
    return period


@transaction.atomic
def review_period_update(
    *,
    period: ReviewPeriod,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    is_year_end: bool = False,
) -> ReviewPeriod:
    """Correct a review period: its name, its dates, whether it closes a training year.

    Periods never overlap. Once the committee has recorded a consensus in the period, its
    dates stay as they were: the consensus rests on the evidence those dates took in (committee
    review refuses them through `review_period_dates_changing`). When the dates change, the
    period's rating summary is rebuilt for the new dates."""
    period = ReviewPeriod.objects.select_for_update().get(pk=period.pk)
    if end_date < start_date:
        raise ValidationError({"end_date": "The period ends before it starts."})
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


@transaction.atomic
def programs_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): the person's roles go; their enrollments stay as the
    program's record of an anonymised former learner, ended today if still open, so the stub
    leaves current cohorts, heatmaps and flags but past reviews still show."""
    ProgramRole.objects.filter(user=user).delete()
    # Practice is the person's own stage, not a program's record.
    PracticeStage.objects.filter(learner=user).delete()
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

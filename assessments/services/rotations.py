"""Writes for rotation schedules: rotations, the block schedule (CSV import or one row at a
time), the end-of-rotation evaluation requests and the coordinator's nudge.

Rules enforced before anything is written (otherwise nothing is):

- a schedule row names a learner currently enrolled in the program, a rotation the program
  defined, dates with the end on or after the start, and a supervising faculty member who
  holds an assessor role in the program;
- one learner's blocks never overlap, neither inside one file nor with blocks already
  scheduled (the learner rows are locked while the check runs, so two imports cannot race);
- an import is all rows or none; every refusal names the line and the column.

End-of-rotation evaluations (docs/assessments.md): once a block's last day is over on the
institution's clock, `rotation_evaluations_send` claims the block (scheduled → requested, a
conditional UPDATE) and, in the same transaction, opens an observation request to the
supervising faculty on the rotation's form. The claim is the guard: however often beat runs,
and on however many workers, a block's evaluation is asked for once. Reminders are the
observation requests' own (at most one a day once overdue, none once answered or declined).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from assessments.models import AssessmentRequest, Rotation, ScheduledRotation
from assessments.services.observations import _choose_competencies, _choose_form
from notifications.services import notification_send
from programs.models import Institution, Program, ProgramRole

SCHEDULE_COLUMNS = ("learner", "rotation", "site", "start", "end", "supervising_faculty")
SCHEDULE_REQUIRED = ("learner", "rotation", "start", "end", "supervising_faculty")
SCHEDULE_MAX_BYTES = 2_000_000
SCHEDULE_MAX_ROWS = 5_000
# Problems are collected to the end (all rows or none); past this many, checking stops.
SCHEDULE_MAX_ERRORS = 200
SITE_MAX = 120
ROTATION_NAME_MAX = 120


@dataclass(frozen=True)
class ScheduleError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class ScheduleImportError(Exception):
    """The schedule was refused; nothing was written. `errors` names every problem found."""

    def __init__(self, errors: list[ScheduleError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


class NudgeRefusedError(Exception):
    """The evaluation is answered, or was already nudged or reminded today: the API says 409."""


@dataclass
class _Row:
    line: int
    learner_email: str
    rotation_name: str
    site: str
    start_on: dt.date | None
    end_on: dt.date | None
    supervisor_email: str


# --- Rotations ------------------------------------------------------------------------------


@transaction.atomic
def rotation_create(
    *,
    program: Program,
    name: str,
    competency_ids: Sequence[int],
    form_id: int | None = None,
    due_days: int = 14,
) -> Rotation:
    """Define a rotation of the program: the items and the form its evaluation asks for."""
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name or len(name) > ROTATION_NAME_MAX:
        errors["name"] = [f"Give a name of 1 to {ROTATION_NAME_MAX} characters."]
    elif Rotation.objects.filter(program=program, name__iexact=name).exists():
        errors["name"] = ["The program already has a rotation of this name."]
    if not 1 <= int(due_days) <= 90:
        errors["due_days"] = ["Give 1 to 90 days."]
    if errors:
        raise ValidationError(errors)
    framework, competencies = _choose_competencies(
        program_frameworks=program.frameworks.all(), competency_ids=competency_ids
    )
    form = _choose_form(
        form_id=form_id, program=program, framework=framework, competencies=competencies
    )
    rotation = Rotation.objects.create(
        program=program, name=name, form=form, framework=framework, due_days=int(due_days)
    )
    rotation.competencies.set(competencies)
    return rotation


# --- The block schedule -----------------------------------------------------------------------


def _text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Decode an upload chunk by chunk (never the whole file in memory); a byte that is not
    UTF-8 or a NUL stops the import with the line it is on."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    line = 1
    for chunk in chunks:
        if b"\x00" in chunk:
            raise ScheduleImportError(
                [ScheduleError(line, "", "This is not a text CSV file; save it as CSV UTF-8.")]
            )
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as error:
            at = line + chunk[: max(error.start, 0)].count(b"\n")
            raise ScheduleImportError(
                [ScheduleError(at, "", "This is not UTF-8 text; save the file as CSV UTF-8.")]
            ) from error
        *complete, pending = pending.split("\n")
        for text in complete:
            line += 1
            yield text + "\n"
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise ScheduleImportError(
            [ScheduleError(line, "", "The file ends inside a character; save it as CSV UTF-8.")]
        ) from error
    if pending:
        yield pending


def _parse_day(
    record: dict[str, str], column: str, line: int, errors: list[ScheduleError]
) -> dt.date | None:
    try:
        return dt.date.fromisoformat(record.get(column, ""))
    except ValueError:
        errors.append(ScheduleError(line, column, "Give the date as YYYY-MM-DD."))
        return None


def _read_rows(chunks: Iterable[bytes]) -> tuple[list[_Row], list[ScheduleError]]:
    """Rows of the file, checked cell by cell, row by row (the cap stops a huge file early)."""
    reader = csv.reader(_text_lines(chunks))
    try:
        header_row = next(reader)
    except StopIteration:
        raise ScheduleImportError([ScheduleError(1, "", "The file is empty.")]) from None
    except csv.Error as error:
        raise ScheduleImportError([ScheduleError(1, "", f"Unreadable CSV: {error}.")]) from error
    header = [h.strip().lower().replace(" ", "_") for h in header_row]
    errors: list[ScheduleError] = []
    for name in header:
        if name not in SCHEDULE_COLUMNS:
            errors.append(
                ScheduleError(
                    1, name, "Unknown column; the columns are " + ", ".join(SCHEDULE_COLUMNS) + "."
                )
            )
    for name in SCHEDULE_REQUIRED:
        if name not in header:
            errors.append(ScheduleError(1, name, "Required column missing from the header."))
    for name in sorted({h for h in header if header.count(h) > 1}):
        errors.append(ScheduleError(1, name, "Column appears more than once."))
    if errors:
        raise ScheduleImportError(errors)
    rows: list[_Row] = []
    count = 0
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            count += 1
            if count > SCHEDULE_MAX_ROWS:
                errors.append(ScheduleError(line, "", f"More than {SCHEDULE_MAX_ROWS} rows."))
                break
            if len(errors) >= SCHEDULE_MAX_ERRORS:
                errors.append(
                    ScheduleError(
                        line, "", f"Checking stopped after {SCHEDULE_MAX_ERRORS} problems."
                    )
                )
                break
            if len(values) != len(header):
                errors.append(
                    ScheduleError(line, "", f"Expected {len(header)} fields, found {len(values)}.")
                )
                continue
            record = {h: v.strip() for h, v in zip(header, values, strict=True)}
            rows.append(
                _Row(
                    line=line,
                    learner_email=record["learner"].lower(),
                    rotation_name=record["rotation"],
                    site=record.get("site", ""),
                    start_on=_parse_day(record, "start", line, errors),
                    end_on=_parse_day(record, "end", line, errors),
                    supervisor_email=record["supervising_faculty"].lower(),
                )
            )
    except csv.Error as error:
        errors.append(ScheduleError(reader.line_num, "", f"Unreadable CSV: {error}."))
    if not rows and not errors:
        errors.append(ScheduleError(2, "", "The file has a header but no rows."))
    return rows, errors


def _check_rows(
    program: Program,
    rows: list[_Row],
    errors: list[ScheduleError],
    replacing: int | None = None,
) -> list[ScheduledRotation]:
    """Resolve names to rows of the database (three queries whatever the file's length) and
    check every rule; the blocks to create, unsaved."""
    learners = {
        u.email.lower(): u
        for u in User.objects.filter(
            email__in={r.learner_email for r in rows},
            enrollments__program=program,
            enrollments__end_date__isnull=True,
        )
    }
    supervisors = {
        u.email.lower(): u
        for u in User.objects.filter(
            email__in={r.supervisor_email for r in rows},
            program_roles__program=program,
            program_roles__role__in=ProgramRole.ASSESSOR_ROLES,
        ).distinct()
    }
    rotations = {r.name.lower(): r for r in Rotation.objects.filter(program=program)}
    blocks: list[ScheduledRotation] = []
    lines: dict[int, int] = {}
    for row in rows:
        before = len(errors)
        learner = learners.get(row.learner_email)
        if learner is None:
            errors.append(
                ScheduleError(
                    row.line,
                    "learner",
                    f"No learner currently enrolled in this program has the email "
                    f"'{row.learner_email}'.",
                )
            )
        rotation = rotations.get(row.rotation_name.lower())
        if rotation is None:
            errors.append(
                ScheduleError(
                    row.line,
                    "rotation",
                    f"No rotation '{row.rotation_name}' in this program; define it first.",
                )
            )
        supervisor = supervisors.get(row.supervisor_email)
        if supervisor is None:
            errors.append(
                ScheduleError(
                    row.line,
                    "supervising_faculty",
                    f"'{row.supervisor_email}' is not faculty (an assessor) of this program.",
                )
            )
        elif learner is not None and supervisor.pk == learner.pk:
            errors.append(
                ScheduleError(
                    row.line, "supervising_faculty", "A learner cannot supervise themselves."
                )
            )
        if len(row.site) > SITE_MAX:
            errors.append(ScheduleError(row.line, "site", f"At most {SITE_MAX} characters."))
        if row.start_on and row.end_on and row.end_on < row.start_on:
            errors.append(ScheduleError(row.line, "end", "The end is before the start."))
        if len(errors) != before or row.start_on is None or row.end_on is None:
            continue
        assert learner is not None and rotation is not None and supervisor is not None
        block = ScheduledRotation(
            rotation=rotation,
            learner=learner,
            supervisor=supervisor,
            site=row.site,
            start_on=row.start_on,
            end_on=row.end_on,
        )
        lines[id(block)] = row.line
        blocks.append(block)
    _check_overlaps(blocks, lines, errors, replacing)
    return blocks


def _check_overlaps(
    blocks: list[ScheduledRotation],
    lines: dict[int, int],
    errors: list[ScheduleError],
    replacing: int | None = None,
) -> None:
    """One learner is on one rotation at a time: against the other rows and the schedule
    (without the block `replacing`, which an edit changes)."""
    by_learner: dict[int, list[ScheduledRotation]] = {}
    for block in blocks:
        by_learner.setdefault(block.learner_id, []).append(block)
    for mine in by_learner.values():
        mine.sort(key=lambda b: b.start_on)
        # The block reaching furthest so far: a later start on or before its end overlaps it.
        furthest = mine[0]
        for later in mine[1:]:
            if later.start_on <= furthest.end_on:
                errors.append(
                    ScheduleError(
                        lines[id(later)],
                        "start",
                        f"Overlaps line {lines[id(furthest)]} for the same learner.",
                    )
                )
            if later.end_on > furthest.end_on:
                furthest = later
    if not blocks:
        return
    # Lock the learners until commit, so a second import cannot slip a block in between.
    list(User.objects.select_for_update().filter(pk__in=list(by_learner)).values_list("pk"))
    window = Q()
    for block in blocks:
        window |= Q(
            learner_id=block.learner_id, start_on__lte=block.end_on, end_on__gte=block.start_on
        )
    others = ScheduledRotation.objects.filter(window)
    if replacing is not None:
        others = others.exclude(pk=replacing)
    existing = list(others.select_related("rotation").order_by("start_on"))
    for block in blocks:
        for other in existing:
            if (
                other.learner_id == block.learner_id
                and other.start_on <= block.end_on
                and other.end_on >= block.start_on
            ):
                errors.append(
                    ScheduleError(
                        lines[id(block)],
                        "start",
                        f"Overlaps {other.rotation.name} ({other.start_on}–{other.end_on}) "
                        "already on this learner's schedule.",
                    )
                )
                break


def schedule_import(*, program: Program, chunks: Iterable[bytes]) -> list[ScheduledRotation]:
    """Import a block schedule (columns in docs/assessments.md). All rows or none."""
    rows, errors = _read_rows(chunks)
    if errors and not rows:
        raise ScheduleImportError(errors)
    with transaction.atomic():
        blocks = _check_rows(program, rows, errors)
        if errors:
            errors.sort(key=lambda e: e.line)
            raise ScheduleImportError(errors)
        return ScheduledRotation.objects.bulk_create(blocks)


def scheduled_rotation_add(
    *,
    program: Program,
    learner_email: str,
    rotation_name: str,
    start_on: dt.date,
    end_on: dt.date,
    supervisor_email: str,
    site: str = "",
) -> ScheduledRotation:
    """Enter one block by hand: the same checks as a row of the CSV."""
    row = _Row(
        line=1,
        learner_email=learner_email.strip().lower(),
        rotation_name=rotation_name.strip(),
        site=site.strip(),
        start_on=start_on,
        end_on=end_on,
        supervisor_email=supervisor_email.strip().lower(),
    )
    errors: list[ScheduleError] = []
    with transaction.atomic():
        blocks = _check_rows(program, [row], errors)
        if errors:
            raise ValidationError({e.column or "__all__": [e.message] for e in errors})
        blocks[0].save()
        return blocks[0]


class BlockLockedError(Exception):
    """The block's evaluation was asked for: the block is part of that record now (409)."""


def _lock_scheduled(block: ScheduledRotation) -> ScheduledRotation:
    locked = ScheduledRotation.objects.select_for_update().get(pk=block.pk)
    if locked.evaluation_state != ScheduledRotation.State.SCHEDULED:
        raise BlockLockedError(
            "Its end-of-rotation evaluation was already asked for; the block can no longer "
            "be changed or deleted."
        )
    return locked


def scheduled_rotation_update(
    *,
    block: ScheduledRotation,
    learner_email: str,
    rotation_name: str,
    start_on: dt.date,
    end_on: dt.date,
    supervisor_email: str,
    site: str = "",
) -> ScheduledRotation:
    """Change a block whose evaluation has not been asked for yet: the same checks as adding
    one, its own old dates aside. Refused (BlockLockedError) once the evaluation went out."""
    row = _Row(
        line=1,
        learner_email=learner_email.strip().lower(),
        rotation_name=rotation_name.strip(),
        site=site.strip(),
        start_on=start_on,
        end_on=end_on,
        supervisor_email=supervisor_email.strip().lower(),
    )
    errors: list[ScheduleError] = []
    with transaction.atomic():
        locked = _lock_scheduled(block)
        program = locked.rotation.program
        checked = _check_rows(program, [row], errors, replacing=locked.pk)
        if errors:
            raise ValidationError({e.column or "__all__": [e.message] for e in errors})
        new = checked[0]
        for field in ("rotation", "learner", "supervisor", "site", "start_on", "end_on"):
            setattr(locked, field, getattr(new, field))
        locked.save(
            update_fields=["rotation", "learner", "supervisor", "site", "start_on", "end_on"]
        )
        return locked


def scheduled_rotation_delete(*, block: ScheduledRotation) -> None:
    """Remove a block whose evaluation has not been asked for yet."""
    with transaction.atomic():
        _lock_scheduled(block).delete()


# --- End-of-rotation evaluations ------------------------------------------------------------


def _evaluation_body(block: ScheduledRotation) -> str:
    where = f" at {block.site}" if block.site else ""
    return (
        f"{block.learner.name} finished {block.rotation.name}{where} "
        f"({block.start_on:%d %b} – {block.end_on:%d %b %Y}) under your supervision.\n"
        f"Please complete the evaluation on the {block.rotation.form.name} form."
    )


def _evaluation_send(block_id: int) -> bool:
    """Ask for one block's evaluation, once: the claim and the request commit together."""
    with transaction.atomic():
        claimed = ScheduledRotation.objects.filter(
            pk=block_id, evaluation_state=ScheduledRotation.State.SCHEDULED
        ).update(evaluation_state=ScheduledRotation.State.REQUESTED)
        if not claimed:
            return False
        block = ScheduledRotation.objects.select_related(
            "rotation", "rotation__form", "rotation__program", "learner", "supervisor"
        ).get(pk=block_id)
        rotation = block.rotation
        request = AssessmentRequest.objects.create(
            learner=block.learner,
            assessor=block.supervisor,
            program=rotation.program,
            framework_id=rotation.framework_id,
            form=rotation.form,
            case_type=f"End of rotation: {rotation.name}"[:120],
            encounter_on=block.end_on,
            due_on=block.end_on + dt.timedelta(days=rotation.due_days),
            note=(f"{rotation.name}" + (f" at {block.site}" if block.site else ""))[:500],
        )
        request.competencies.set(rotation.competencies.all())
        block.evaluation = request
        block.save(update_fields=["evaluation"])
        notification_send(
            recipient=block.supervisor,
            kind="observation_request",
            title=f"End-of-rotation evaluation: {block.learner.name}, {rotation.name}",
            body=_evaluation_body(block),
            url=reverse("observation-request-complete", args=[request.pk]),
            dedupe_key=f"rotation-evaluation:{block.pk}",
        )
    return True


def rotation_evaluations_send(*, now: dt.datetime | None = None) -> int:
    """Ask supervising faculty for the evaluation of every block whose last day is over on its
    institution's clock. Safe to run any number of times; returns how many went out."""
    sent = 0
    for institution in Institution.objects.order_by("pk"):
        today = institution.local_today(now)
        due = (
            ScheduledRotation.objects.ended_unsent(today)
            .filter(rotation__program__institution=institution)
            .order_by("end_on", "pk")
            .values_list("pk", flat=True)
        )
        for block_id in list(due):
            sent += _evaluation_send(block_id)
    return sent


def rotation_evaluation_nudge(*, block: ScheduledRotation, by: User) -> AssessmentRequest:
    """A director or coordinator reminds the supervisor of an open evaluation now: at most once
    a day per evaluation, counted with the automatic reminders (one claim on the same date)."""
    request = block.evaluation
    if request is None or request.status != AssessmentRequest.Status.OPEN:
        raise NudgeRefusedError("This evaluation is not waiting for an answer.")
    today = block.rotation.program.institution.local_today()
    with transaction.atomic():
        claimed = (
            AssessmentRequest.objects.filter(pk=request.pk, status=AssessmentRequest.Status.OPEN)
            .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
            .update(last_reminded_on=today)
        )
        if not claimed:
            raise NudgeRefusedError("The supervisor was already reminded today.")
        notification_send(
            recipient=block.supervisor,
            kind="observation_request",
            title=f"Reminder: evaluation of {block.learner.name}, {block.rotation.name}",
            body=_evaluation_body(block) + f"\nA reminder from {by.name}.",
            url=reverse("observation-request-complete", args=[request.pk]),
            dedupe_key=f"rotation-evaluation:{block.pk}:nudge:{today.isoformat()}",
        )
    request.last_reminded_on = today
    return request

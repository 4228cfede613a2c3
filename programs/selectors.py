"""Access-scoped reads for programs. Every rule about who sees a program lives here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.db import (
    CompiledQuery,
    Read,
    Selection,
    placeholders,
    split_row,
    tenths_from_db,
)
from frameworks.models import Competency, Framework
from programs.expectations import expected_level, year_fraction
from programs.models import (
    Cohort,
    Enrollment,
    Expectation,
    Institution,
    InstitutionRole,
    PracticeStage,
    PracticeTarget,
    Program,
    ProgramRole,
    ReviewPeriod,
)


def institutions_administered_by(*, user: User) -> list[int]:
    """The ids of the institutions `user` administers (an institution role)."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(
        InstitutionRole.objects.filter(user=user, role=InstitutionRole.Role.ADMIN)
        .order_by("institution_id")
        .values_list("institution_id", flat=True)
    )


def institution_time_zones(user_ids: Collection[int]) -> dict[int, str]:
    """Each person's institution's time zone, for the clocks of their daily digests
    (registered with `notifications.zones`): their current enrollment's institution first,
    then that of a program where they hold a role. Two queries, whatever the number."""
    zones: dict[int, str] = {}
    enrolled = (
        Enrollment.objects.current()
        .filter(learner_id__in=user_ids)
        .order_by("learner_id", "-start_date", "-pk")
        .values_list("learner_id", "program__institution__time_zone")
    )
    for pk, zone in enrolled:
        zones.setdefault(pk, zone)  # the newest current enrollment's
    missing = [pk for pk in user_ids if pk not in zones]
    if missing:
        roles = (
            ProgramRole.objects.filter(user_id__in=missing)
            .order_by("user_id", "-pk")
            .values_list("user_id", "program__institution__time_zone")
        )
        for pk, zone in roles:
            zones.setdefault(pk, zone)
    return zones


def user_holds_staff_role(*, user: User) -> bool:
    """Directors and coordinators of any program count as staff (MFA policy)."""
    return ProgramRole.objects.filter(user=user, role__in=ProgramRole.STAFF_ROLES).exists()


_ROLES_SQL = f"""
SELECT DISTINCT role FROM {ProgramRole._meta.db_table} WHERE user_id = %s"""  # noqa: S608 — ours


def roles_of(*, user: User) -> set[str]:
    """The roles the user holds in any program: every page's navigation and `/api/v1/me/`."""
    return roles_read(user=user).run()


def roles_read(*, user: User) -> Read[set[str]]:
    """`roles_of` as a read, to run beside others (`read_together`). A plain statement: the
    ORM's building of even this query costs more than the database's work on it, and every
    page pays it (`/api/v1/me/`, the stack's fixed cost in `make bench`, is nothing else)."""
    return Read(_ROLES_SQL, [user.pk], _roles_from)


def _roles_from(rows: list[tuple[Any, ...]]) -> set[str]:
    return {role for (role,) in rows}


def programs_led_by(*, user: User) -> QuerySet[Program]:
    """Programs where the user directs, coordinates or sits on the committee."""
    return Program.objects.filter(
        roles__user=user, roles__role__in=ProgramRole.REVIEW_ROLES
    ).distinct()


def current_enrollment(*, learner: User) -> Enrollment | None:
    return (
        Enrollment.objects.current()
        .filter(learner=learner)
        .select_related("program", "program__institution", "cohort")
        .order_by("-start_date")
        .first()
    )


_ENROLLMENT = Selection(Enrollment)
_PROGRAM = Selection(Program)
_INSTITUTION = Selection(Institution)
_COHORT = Selection(Cohort)

_ENROLLMENTS_SQL = f"""
SELECT {_ENROLLMENT.columns("e")}, {_PROGRAM.columns("p")}, {_INSTITUTION.columns("i")},
       {_COHORT.columns("c")}
FROM {Enrollment._meta.db_table} e
JOIN {Program._meta.db_table} p ON p.id = e.program_id
JOIN {Institution._meta.db_table} i ON i.id = p.institution_id
LEFT JOIN {Cohort._meta.db_table} c ON c.id = e.cohort_id
WHERE e.learner_id = %s
ORDER BY e.start_date, e.id"""  # noqa: S608 — table and column names are ours


def enrollments_read(*, learner: User) -> Read[list[Enrollment]]:
    """The learner's timeline inside this deployment, oldest first, each enrollment with its
    program, institution and cohort. One plain statement: it runs on every dashboard, and the
    ORM's building of a four-table query cost more than the database's work."""
    return Read(_ENROLLMENTS_SQL, [learner.pk], _enrollments_from)


def _enrollments_from(rows: list[tuple[Any, ...]]) -> list[Enrollment]:
    enrollments = []
    for row in rows:
        enrollment_values, program_values, institution_values, cohort_values = split_row(
            row, _ENROLLMENT, _PROGRAM, _INSTITUTION, _COHORT
        )
        enrollment = _ENROLLMENT.build(enrollment_values)
        enrollment.program = _PROGRAM.build(program_values)
        enrollment.program.institution = _INSTITUTION.build(institution_values)
        enrollment.cohort = None if cohort_values[0] is None else _COHORT.build(cohort_values)
        enrollments.append(enrollment)
    return enrollments


def current_enrollments(*, learner: User) -> list[Enrollment]:
    """Open enrollments, newest first; a learner may be in more than one program at once."""
    return list(
        Enrollment.objects.current()
        .filter(learner=learner)
        .select_related("program", "program__institution")
        .prefetch_related("program__frameworks")
        .order_by("-start_date", "-id")
    )


def frameworks_in_use(*, learner: User) -> QuerySet[Framework]:
    """Frameworks the learner works on now: those of the programs they are enrolled in, and
    those they chose to follow in their own practice stage."""
    in_programs = Framework.objects.filter(
        programs__enrollments__learner=learner, programs__enrollments__end_date__isnull=True
    ).values("pk")
    in_practice = Framework.objects.filter(
        practice_stages__learner=learner, practice_stages__end_date__isnull=True
    ).values("pk")
    return (
        Framework.objects.filter(Q(pk__in=in_programs) | Q(pk__in=in_practice))
        .select_related("scale")
        .order_by("code", "-version")
    )


def practice_stage_of(*, learner: User) -> PracticeStage | None:
    """The learner's open practice stage, with its frameworks. Only the learner opens it."""
    return (
        PracticeStage.objects.current()
        .filter(learner=learner)
        .prefetch_related("frameworks")
        .first()
    )


_PRACTICE_STAGE = Selection(PracticeStage)
_PRACTICE_STAGES_SQL = f"""
SELECT {_PRACTICE_STAGE.columns("s")} FROM {PracticeStage._meta.db_table} s
WHERE s.learner_id = %s ORDER BY s.start_date, s.id"""  # noqa: S608 — our names


def practice_stages_read(*, learner: User) -> Read[list[PracticeStage]]:
    """The learner's practice stages, oldest first: for their timeline."""
    return Read(_PRACTICE_STAGES_SQL, [learner.pk], _PRACTICE_STAGE.build_all)


def practice_targets_of(*, stage: PracticeStage) -> QuerySet[PracticeTarget]:
    """The stage's targets, with their competency and framework, in framework order."""
    return (
        PracticeTarget.objects.filter(stage=stage)
        .select_related("competency", "competency__framework", "competency__framework__scale")
        .order_by("competency__framework__code", "competency__order", "competency_id")
    )


def expected_levels(
    *,
    enrollments: list[Enrollment],
    competencies: list[Competency],
    today: dt.date | None = None,
) -> dict[int, Decimal]:
    """Expected level today, per competency id, for the learner's current enrollments.

    The enrollment whose program uses the competency's framework decides the training year;
    the level rises through that year from last year's end level to this year's
    (`programs.expectations`), a program Expectation winning over the default (level 4 by
    graduation, evenly stepped). One query, whatever the number of competencies.
    """
    [levels] = expected_levels_of_sets(
        sets=[(enrollments, {c.pk: c.framework_id for c in competencies})], today=today
    )
    return levels


def expected_levels_of_sets(
    *,
    sets: Sequence[tuple[Sequence[Enrollment], Mapping[int, int]]],
    today: dt.date | None = None,
) -> list[dict[int, Decimal]]:
    """`expected_levels` for several learners' sets of current enrollments at once, each with
    its competencies (competency id to framework id): one list of levels per set, in order.
    One query, whatever the number of sets, so a page about many learners pays it once."""
    today = today or timezone.localdate()
    deciding = [_deciding_enrollments(*one) for one in sets]
    overrides = expectation_overrides(
        program_ids=sorted({e.program_id for one in deciding for e in one.values()}),
        competency_ids=sorted({competency_id for one in deciding for competency_id in one}),
    )
    return [expected_levels_from(one, overrides, today=today) for one in deciding]


def _deciding_enrollments(
    enrollments: Sequence[Enrollment], competencies: Mapping[int, int]
) -> dict[int, Enrollment]:
    """Per competency id, the enrollment that decides its training year: the newest one whose
    program uses the competency's framework (`enrollments` come newest first)."""
    by_framework: dict[int, Enrollment] = {}
    for enrollment in enrollments:
        for framework in enrollment.program.frameworks.all():
            by_framework.setdefault(framework.pk, enrollment)
    return {
        competency_id: by_framework[framework_id]
        for competency_id, framework_id in competencies.items()
        if framework_id in by_framework
    }


def expected_levels_from(
    enrollment_of: dict[int, Enrollment],
    overrides: dict[int, dict[tuple[int, int], Decimal]],
    *,
    today: dt.date | None = None,
) -> dict[int, Decimal]:
    """Expected level today per competency id, given the enrollment that decides each one's
    training year and the programs' overrides (`expected_levels` explains the rule)."""
    today = today or timezone.localdate()
    enrollments = {id(e): e for e in enrollment_of.values()}.values()  # a few, shared widely
    fractions = {e.program_id: year_fraction(e.program, today) for e in enrollments}
    overridden = {
        e.program_id: {competency_id for competency_id, _ in overrides[e.program_id]}
        for e in enrollments
    }
    # A competency its program sets no level for is expected at the program's default, which
    # depends only on the program and the training year: worked out once for all of them.
    by_default: dict[tuple[int, int], Decimal] = {}
    levels: dict[int, Decimal] = {}
    for competency_id, enrollment in enrollment_of.items():
        program_id, year = enrollment.program_id, enrollment.training_year
        if competency_id in overridden[program_id]:
            levels[competency_id] = expected_level(
                enrollment.program,
                overrides[program_id],
                competency_id,
                year,
                fractions[program_id],
            )
            continue
        level = by_default.get((program_id, year))
        if level is None:
            level = by_default[(program_id, year)] = expected_level(
                enrollment.program, {}, competency_id, year, fractions[program_id]
            )
        levels[competency_id] = level
    return levels


_OVERRIDES_SQL = f"""
SELECT program_id, competency_id, training_year, level FROM {Expectation._meta.db_table}
WHERE program_id IN ({{programs}}){{competencies}}"""  # noqa: S608 — our names


def expectation_overrides(
    *, program_ids: list[int], competency_ids: list[int] | None = None
) -> dict[int, dict[tuple[int, int], Decimal]]:
    """Per program, the end-of-year levels it sets instead of its default, by (competency id,
    training year); every competency's, or only those of `competency_ids`. One plain
    statement: the dashboard, the heatmap and the packet read it on every view, and the ORM's
    query building would cost more than the database's work."""
    if not program_ids or competency_ids == []:
        return defaultdict(dict)
    return expectation_overrides_read(program_ids=program_ids, competency_ids=competency_ids).run()


def expectation_overrides_read(
    *, program_ids: list[int], competency_ids: list[int] | None = None
) -> Read[dict[int, dict[tuple[int, int], Decimal]]]:
    """`expectation_overrides` as a read, for at least one program and competency."""
    only = (
        ""
        if competency_ids is None
        else f" AND competency_id IN ({placeholders(len(competency_ids))})"
    )
    sql = _OVERRIDES_SQL.format(programs=placeholders(len(program_ids)), competencies=only)
    return Read(sql, [*program_ids, *(competency_ids or [])], _overrides_from)


@dataclass
class LearnerExpectations:
    """What decides the levels expected of a learner: the end-of-year levels set by every
    program they were ever in (by program id, then (competency id, training year)), the
    targets of their open practice stage (by competency id) and their practice stages."""

    overrides: dict[int, dict[tuple[int, int], Decimal]]
    targets: dict[int, Decimal]
    practice_stages: list[PracticeStage]

    @property
    def practice(self) -> PracticeStage | None:
        """The open practice stage, if any."""
        return next((s for s in self.practice_stages if s.end_date is None), None)


# The programs a learner is or was in, inside another statement (one parameter: the learner).
PROGRAMS_OF_LEARNER = f"""
SELECT e.program_id FROM {Enrollment._meta.db_table} e
WHERE e.learner_id = %s"""  # noqa: S608 — our names

# Three kinds of row in one statement, told apart by the first column: a program's override
# ('p', program, competency, year, level), a target of the open practice stage ('t', stage,
# competency, -, level) and a practice stage ('s', stage, -, -, -, start, end, specialty).
_LEARNER_EXPECTATIONS_SQL = f"""
SELECT 'p', program_id, competency_id, training_year, level,
       CAST(NULL AS date), CAST(NULL AS date), CAST(NULL AS varchar(120))
FROM {Expectation._meta.db_table} WHERE program_id IN ({PROGRAMS_OF_LEARNER})
UNION ALL
SELECT 't', t.stage_id, t.competency_id, 0, t.level,
       CAST(NULL AS date), CAST(NULL AS date), CAST(NULL AS varchar(120))
FROM {PracticeTarget._meta.db_table} t
JOIN {PracticeStage._meta.db_table} s ON s.id = t.stage_id
WHERE s.learner_id = %s AND s.end_date IS NULL
UNION ALL
SELECT 's', s.id, NULL, NULL, NULL, s.start_date, s.end_date, s.specialty
FROM {PracticeStage._meta.db_table} s WHERE s.learner_id = %s"""  # noqa: S608 — our names


def learner_expectations_read(*, learner: User) -> Read[LearnerExpectations]:
    """Everything that decides the learner's expected levels, over all their stages, in one
    plain statement (the dashboard reads it on every visit): programs' overrides, practice
    targets and practice stages."""
    return Read(
        _LEARNER_EXPECTATIONS_SQL,
        [learner.pk, learner.pk, learner.pk],
        lambda rows: _learner_expectations_from(learner.pk, rows),
    )


def _as_day(value: Any) -> dt.date | None:
    if isinstance(value, str):  # SQLite answers text
        return dt.date.fromisoformat(value[:10])
    return value if isinstance(value, dt.date) or value is None else None


def _learner_expectations_from(learner_id: int, rows: list[tuple[Any, ...]]) -> LearnerExpectations:
    overrides: dict[int, dict[tuple[int, int], Decimal]] = defaultdict(dict)
    targets: dict[int, Decimal] = {}
    stages: list[PracticeStage] = []
    for kind, owner, competency_id, year, level, start, end, specialty in rows:
        if kind == "p":
            overrides[owner][(competency_id, year)] = tenths_from_db(level)
        elif kind == "t":
            targets[competency_id] = tenths_from_db(level)
        else:
            stages.append(
                PracticeStage(
                    pk=owner,
                    learner_id=learner_id,
                    specialty=specialty or "",
                    start_date=cast(dt.date, _as_day(start)),
                    end_date=_as_day(end),
                )
            )
    stages.sort(key=lambda s: (s.start_date, s.pk))
    return LearnerExpectations(overrides=overrides, targets=targets, practice_stages=stages)


def _overrides_from(rows: list[tuple[Any, ...]]) -> dict[int, dict[tuple[int, int], Decimal]]:
    overrides: dict[int, dict[tuple[int, int], Decimal]] = defaultdict(dict)
    for program_id, competency_id, year, level in rows:
        overrides[program_id][(competency_id, year)] = tenths_from_db(level)
    return overrides


# --- Program administration and committee review -----------------------------------------
# Who may do what in a program (anyone else gets a 404 for anything of that program):
#   manage  (programs, cohorts, enrollments, roles, expectations, periods, roster): director,
#           coordinator; institution admins (superusers) for every program.
#   review  (heatmap, packets, consensus, flags, reports): director, coordinator, committee.
#           Admins are not reviewers: they see only aggregates (small-cell rule applies).
#   sign off a review: director.

MANAGE_ROLES = ProgramRole.STAFF_ROLES
REVIEW_ROLES = ProgramRole.REVIEW_ROLES


def _holds(user: User, roles: tuple[str, ...]) -> Exists:
    return Exists(
        ProgramRole.objects.filter(program=OuterRef("pk"), user=user, role__in=list(roles))
    )


def _with_viewer_rights(queryset: QuerySet[Program], user: User) -> QuerySet[Program]:
    """Annotate what `user` may do, so a view needs no second query to decide its buttons."""
    return queryset.annotate(
        viewer_can_review=_holds(user, REVIEW_ROLES),
        viewer_can_sign_off=_holds(user, (ProgramRole.Role.DIRECTOR,)),
        viewer_can_manage=_holds(user, MANAGE_ROLES),
    ).select_related("institution")


def programs_managed_by(*, user: User) -> QuerySet[Program]:
    """Programs whose set-up `user` may change: directors, coordinators; admins all."""
    queryset = Program.objects.all()
    if not user.is_superuser:
        queryset = queryset.filter(_holds(user, MANAGE_ROLES))
    return _with_viewer_rights(queryset, user)


def programs_reviewed_by(*, user: User) -> QuerySet[Program]:
    """Programs whose learners `user` may review individually (director, coordinator,
    committee). Admin rights do not open individual records."""
    return _with_viewer_rights(Program.objects.filter(_holds(user, REVIEW_ROLES)), user)


def program_reviewed_by(*, user: User, program_id: int) -> Program | None:
    """The program if `user` may review its learners individually (`programs_reviewed_by`),
    with its institution and the viewer's rights; else None."""
    return program_reviewed_by_read(user=user, program_id=program_id).run()


_PROGRAM_FIELDS = [f.attname for f in Program._meta.concrete_fields]
_INSTITUTION_FIELDS = [f.attname for f in Institution._meta.concrete_fields]
_RIGHTS = ["viewer_can_sign_off", "viewer_can_manage"]


def _reviewed_program(*, user_id: int, program_id: int) -> QuerySet[Program, tuple[Any, ...]]:
    return (
        programs_reviewed_by(user=User(pk=user_id))
        .filter(pk=program_id)
        .values_list(
            *_PROGRAM_FIELDS, *[f"institution__{f}" for f in _INSTITUTION_FIELDS], *_RIGHTS
        )
    )


# The heatmap and the packets look their program up on every request (see CompiledQuery).
_REVIEWED_PROGRAM = CompiledQuery(_reviewed_program)


def program_reviewed_by_read(*, user: User, program_id: int) -> Read[Program | None]:
    """`program_reviewed_by` as a read, to run beside others (`read_together`): the
    selector's own statement, compiled once."""
    return _REVIEWED_PROGRAM.read(user_id=user.pk, program_id=program_id).then(_program_from)


def _program_from(rows: list[tuple[Any, ...]]) -> Program | None:
    if not rows:
        return None
    values = rows[0]
    split = len(_PROGRAM_FIELDS)
    end = split + len(_INSTITUTION_FIELDS)
    # Any: the rights are annotations, which the model does not declare.
    program: Any = Program.from_db(DEFAULT_DB_ALIAS, _PROGRAM_FIELDS, values[:split])
    program.institution = Institution.from_db(
        DEFAULT_DB_ALIAS, _INSTITUTION_FIELDS, values[split:end]
    )
    can_sign_off, can_manage = values[end:]
    program.viewer_can_review = True
    program.viewer_can_sign_off = can_sign_off
    program.viewer_can_manage = can_manage
    return program


_MANAGED_RIGHTS = ["viewer_can_review", "viewer_can_sign_off", "viewer_can_manage"]


def _managed_program(
    *, user_id: int, program_id: int, superuser: bool
) -> QuerySet[Program, tuple[Any, ...]]:
    return (
        programs_managed_by(user=User(pk=user_id, is_superuser=superuser))
        .filter(pk=program_id)
        .values_list(
            *_PROGRAM_FIELDS, *[f"institution__{f}" for f in _INSTITUTION_FIELDS], *_MANAGED_RIGHTS
        )
    )


# Pages a program's staff open often (the rotation completion dashboard) look their program
# up on every request; admins and staff get different statements (see CompiledQuery).
_MANAGED_PROGRAM = {
    flag: CompiledQuery(partial(_managed_program, superuser=flag)) for flag in (False, True)
}


def program_managed_by_read(*, user: User, program_id: int) -> Read[Program | None]:
    """The program if `user` may change its set-up (`programs_managed_by`), with its
    institution and the viewer's rights, as a read compiled once; else None."""
    compiled = _MANAGED_PROGRAM[bool(user.is_superuser)]
    return compiled.read(user_id=user.pk, program_id=program_id).then(_managed_program_from)


def _managed_program_from(rows: list[tuple[Any, ...]]) -> Program | None:
    if not rows:
        return None
    values = rows[0]
    split = len(_PROGRAM_FIELDS)
    end = split + len(_INSTITUTION_FIELDS)
    program: Any = Program.from_db(DEFAULT_DB_ALIAS, _PROGRAM_FIELDS, values[:split])
    program.institution = Institution.from_db(
        DEFAULT_DB_ALIAS, _INSTITUTION_FIELDS, values[split:end]
    )
    program.viewer_can_review, program.viewer_can_sign_off, program.viewer_can_manage = values[end:]
    return program


def programs_visible_to(*, user: User) -> QuerySet[Program]:
    """Programs shown in `user`'s program list: the ones they manage or review."""
    queryset = Program.objects.all()
    if not user.is_superuser:
        queryset = queryset.filter(_holds(user, MANAGE_ROLES + REVIEW_ROLES))
    return _with_viewer_rights(queryset, user)


def programs_signed_off_by(*, user: User) -> QuerySet[Program]:
    """Programs whose reviews `user` may sign off: their director only."""
    return _with_viewer_rights(
        Program.objects.filter(_holds(user, (ProgramRole.Role.DIRECTOR,))), user
    )


def review_periods_of(*, program: Program) -> QuerySet[ReviewPeriod]:
    return ReviewPeriod.objects.filter(program=program).order_by("-start_date")


def enrollments_in(*, program: Program) -> QuerySet[Enrollment]:
    """Everyone ever enrolled in `program`, current first."""
    return (
        Enrollment.objects.filter(program=program)
        .select_related("learner", "cohort")
        .order_by("end_date", "cohort__name", "learner__display_name", "learner__email", "pk")
    )


def program_competencies(*, program: Program) -> QuerySet[Competency]:
    """The program's rated sub-competencies/EPAs with their domain, in framework order."""
    return (
        Competency.objects.ratable()
        .filter(framework__in=program.frameworks.all())
        .select_related("parent", "framework__scale")
        .order_by("framework__code", "order", "pk")
    )


def programs_only_directed_by(*, user: User) -> QuerySet[Program]:
    """Programs whose one and only director is `user`: such a person cannot leave before
    someone else directs the program (the same rule as removing the last director)."""
    directors = ProgramRole.objects.filter(program=OuterRef("pk"), role=ProgramRole.Role.DIRECTOR)
    return (
        Program.objects.filter(roles__user=user, roles__role=ProgramRole.Role.DIRECTOR)
        .exclude(Exists(directors.exclude(user=user)))
        .order_by("name")
    )


# --- The institution overview's programs ----------------------------------------------------
# Admins see every institution; program staff (manage or review roles) the institutions of
# the programs they hold a role in; the overview shows those institutions' programs and opens
# the ones whose learners the viewer reviews individually. It runs on every visit and its
# lookups are small: the statements are compiled once (see CompiledQuery).

_OVERVIEW_PROGRAM = Selection(Program, ("id", "name", "stage", "institution_id"))
_OVERVIEW_INSTITUTION = Selection(Institution, ("id", "name"))
_OVERVIEW_COLUMNS = [*_OVERVIEW_PROGRAM.attnames, "institution__name"]


def _overview_programs_of_staff(*, user_id: int) -> QuerySet[Program, tuple[Any, ...]]:
    # The institutions of the programs in the user's program list (`programs_visible_to`).
    staffed = Program.objects.filter(_holds(User(pk=user_id), MANAGE_ROLES + REVIEW_ROLES))
    return Program.objects.filter(institution__in=staffed.values("institution_id")).values_list(
        *_OVERVIEW_COLUMNS
    )


def _overview_programs_of_admin() -> QuerySet[Program, tuple[Any, ...]]:
    return Program.objects.values_list(*_OVERVIEW_COLUMNS)


def _reviewed_program_ids(*, user_id: int) -> QuerySet[Program, tuple[Any, ...]]:
    return Program.objects.filter(_holds(User(pk=user_id), REVIEW_ROLES)).values_list("pk")


_OVERVIEW_PROGRAMS_OF_STAFF = CompiledQuery(_overview_programs_of_staff)
_OVERVIEW_PROGRAMS_OF_ADMIN = CompiledQuery(_overview_programs_of_admin)
_REVIEWED_PROGRAM_IDS = CompiledQuery(_reviewed_program_ids)


def overview_programs_read(*, user: User) -> Read[list[Program]]:
    """The programs of the institutions `user` oversees (every one for an admin), each with
    its institution (id and name) and no other field loaded. Empty for anyone else."""
    if user.is_superuser:
        read = _OVERVIEW_PROGRAMS_OF_ADMIN.read()
    else:
        read = _OVERVIEW_PROGRAMS_OF_STAFF.read(user_id=user.pk)
    return read.then(_overview_programs_from)


def _overview_programs_from(rows: list[tuple[Any, ...]]) -> list[Program]:
    programs = []
    institutions: dict[int, Institution] = {}
    for *values, institution_name in rows:
        program = _OVERVIEW_PROGRAM.build(values)
        institution = institutions.get(program.institution_id)
        if institution is None:
            institution = _OVERVIEW_INSTITUTION.build((program.institution_id, institution_name))
            institutions[program.institution_id] = institution
        program.institution = institution
        programs.append(program)
    return programs


def reviewed_program_ids_read(*, user: User) -> Read[set[int]]:
    """The ids of the programs whose learners `user` reviews individually (a review role);
    admin rights open none."""
    return _REVIEWED_PROGRAM_IDS.read(user_id=user.pk).then(lambda rows: {r[0] for r in rows})

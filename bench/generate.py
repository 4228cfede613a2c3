"""Build the synthetic institution inside PostgreSQL.

Small reference rows (institution, programs, framework, periods, roles) go through the ORM; the
big tables (users, enrollments, assessor ratings, self-assessments, reviews, consensus) are
filled with set-based INSERT … SELECT statements over generate_series, computed by the server
— the fastest bulk path there is, and deterministic thanks to setseed().

Shape (full scale, "1x"): one institution, 20 programs (one of exactly 300 current learners), 5,000
learners, one framework of 22 sub-competencies in 6 domains, 12 semi-annual review periods,
one assessor rating and one self-assessment per learner × sub-competency × period (≈1.32 M
each), signed-off consensus for every past period and part of the current one. A second, small
institution gives the "other size" for query counts. The 10x scale has 50,000 learners in
200 programs (≈13.2 M of each kind of rating); every scale is the same SQL, so the smaller ones
keep their data whatever the larger ones need.

The big tables are loaded with their secondary indexes and foreign keys off and rebuilt once
after (bench/bulk.py), and the summaries the application keeps on write are rebuilt from the
loaded rows in one place, `summaries_build`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction

from accounts.models import User
from assessments.models import (
    Assessment,
    AssessmentForm,
    AssessmentRequest,
    MonthlyRatingSummary,
    PeriodRatingSummary,
    ProgramMonthLearners,
    ProgramRatingHistogram,
    Rotation,
    ScheduledRotation,
    SelfAssessment,
)
from assessments.services.forms import shipped_forms_ensure
from assessments.summaries.monthly import monthly_summaries_rebuild
from assessments.summaries.periods import period_summaries_rebuild
from assessments.summaries.programs import program_histogram_rebuild, program_learners_rebuild
from bench.bulk import deferred_indexes
from committee.models import ConsensusRating, LearnerReview
from frameworks.models import Competency, Framework, RatingScale, ScaleLevel
from portfolio.counts import evidence_counts_rebuild
from portfolio.models import Evidence
from programs.models import Cohort, Institution, Program, ProgramRole, ReviewPeriod

DOMAINS = [
    ("PC", "Patient care", 6),
    ("MK", "Medical knowledge", 3),
    ("SBP", "Systems-based practice", 3),
    ("PBLI", "Practice-based learning and improvement", 2),
    ("PROF", "Professionalism", 4),
    ("ICS", "Interpersonal and communication skills", 4),
]
PERIODS = 12
FACULTY_PER_PROGRAM = 15


@dataclass(frozen=True)
class Scale:
    name: str
    programs: int
    learners: int
    big_program: int  # current learners in the program whose heatmap is timed
    small_learners: int  # learners of the second, small institution
    evidence: int = 100  # evidence items of the dashboard learner (the largest list timed)


SCALES = {
    "tiny": Scale(
        "tiny", programs=3, learners=120, big_program=60, small_learners=12, evidence=500
    ),
    "small": Scale(
        "small", programs=8, learners=1_000, big_program=300, small_learners=24, evidence=2_000
    ),
    "full": Scale(
        "full", programs=20, learners=5_000, big_program=300, small_learners=24, evidence=10_000
    ),
    # The national-scale check: ten times the learners and programs, the same
    # 300-learner program timed, the same largest list.
    "10x": Scale(
        "10x", programs=200, learners=50_000, big_program=300, small_learners=24, evidence=10_000
    ),
}
# Loaded with their indexes and foreign keys off (bench/bulk.py): the tables of millions of rows.
BULK_TABLES = [
    Assessment._meta.db_table,
    SelfAssessment._meta.db_table,
    LearnerReview._meta.db_table,
    ConsensusRating._meta.db_table,
]


@dataclass
class World:
    """What the measurements need to find their way around the generated data."""

    today: dt.date
    institution_id: int
    big_program_id: int
    big_director_email: str
    big_cohort_id: int  # one cohort of the big program (the smaller heatmap size)
    current_period_id: int
    small_program_id: int
    small_director_email: str
    small_period_id: int
    learner_email: str  # a learner of the big program with a full history
    small_learner_email: str  # a learner of the small institution (short history)
    counts: dict[str, int]


def _periods_for(today: dt.date, year_start_month: int = 7) -> list[tuple[dt.date, dt.date, bool]]:
    """Twelve semi-annual periods, the last one containing `today`."""
    # Start of the half-year that contains today, aligned on the training-year start.
    month = year_start_month if today.month >= year_start_month else year_start_month - 6
    current = dt.date(today.year, month, 1)
    starts = []
    for back in range(PERIODS - 1, -1, -1):
        months = current.year * 12 + current.month - 1 - 6 * back
        starts.append(dt.date(months // 12, months % 12 + 1, 1))
    result = []
    for start in starts:
        months = start.year * 12 + start.month - 1 + 6
        end = dt.date(months // 12, months % 12 + 1, 1) - dt.timedelta(days=1)
        result.append((start, end, start.month != year_start_month))
    return result


def _reset() -> None:
    """Empty every table the benchmark fills (the schema stays)."""
    tables = [
        "committee_consensusrating",
        "committee_learnerreview",
        "assessments_scheduledrotation",
        "assessments_rotation_competencies",
        "assessments_rotation",
        "assessments_assessmentrequest",
        "programs_reviewperiod",
        "programs_expectation",
        "programs_programrole",
        "programs_enrollment",
        "programs_cohort",
        "programs_program_frameworks",
        "programs_program",
        "programs_institution",
        "assessments_assessment",
        "assessments_selfassessment",
        "assessments_checkin",
        "portfolio_evidence",
        "frameworks_leveldescriptor",
        "frameworks_competency",
        "frameworks_framework",
        "frameworks_scalelevel",
        "frameworks_ratingscale",
        "django_session",
        "accounts_user",
    ]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE")


def _framework() -> tuple[Framework, list[Competency]]:
    scale = RatingScale.objects.create(
        code="bench-milestones", name="Milestone levels", kind=RatingScale.Kind.MILESTONE
    )
    ScaleLevel.objects.bulk_create(
        ScaleLevel(scale=scale, value=Decimal(v) / 2, label=f"Level {Decimal(v) / 2}")
        for v in range(11)
    )
    framework = Framework.objects.create(
        code="bench-milestones",
        version="1.0",
        name="Benchmark milestones",
        kind=Framework.Kind.MILESTONES,
        source="Synthetic benchmark data",
        scale=scale,
    )
    leaves: list[Competency] = []
    order = 0
    for code, title, count in DOMAINS:
        domain = Competency.objects.create(framework=framework, code=code, title=title, order=order)
        order += 1
        for index in range(1, count + 1):
            leaves.append(
                Competency(
                    framework=framework,
                    parent=domain,
                    code=f"{code}{index}",
                    title=f"{title} {index}",
                    order=order,
                )
            )
            order += 1
    Competency.objects.bulk_create(leaves)
    return framework, leaves


def _columns(
    model: type[models.Model], given: dict[str, str], params: dict[str, Any]
) -> tuple[str, str]:
    """Column list and SELECT expressions for a bulk INSERT into `model`'s table.

    `given` maps columns to SQL expressions; every other column gets its field default (or
    now() for auto timestamps, NULL when nullable), so the generator keeps working when the
    owning app adds a field.
    """
    names: list[str] = []
    values: list[str] = []
    for f in model._meta.concrete_fields:
        column = str(f.column)
        if f.primary_key:
            continue
        names.append(column)
        if column in given:
            values.append(given[column])
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append("now()")
        elif f.has_default():
            key = f"default_{model._meta.db_table}_{column}"
            params[key] = f.get_db_prep_save(f.get_default(), connection)
            values.append(f"%({key})s")
        elif f.null:
            values.append("NULL")
        else:
            raise RuntimeError(
                f"bench: no value for {model.__name__}.{f.name}; add it to the generator"
            )
    return ", ".join(names), ", ".join(values)


def _program_sizes(scale: Scale) -> list[int]:
    rest = scale.learners - scale.big_program
    others = scale.programs - 1
    sizes = [scale.big_program] + [rest // others] * others
    sizes[-1] += rest - sum(sizes[1:])
    return sizes


def build(scale: Scale, today: dt.date, log: Callable[[str], object] = print) -> World:
    """Generate everything for `scale`; returns where things are."""
    started = time.perf_counter()
    say = log

    def timed(message: str) -> object:
        return say(f"{message} ({time.perf_counter() - started:.1f}s)")

    with transaction.atomic():
        _reset()
        framework, leaves = _framework()
        form = shipped_forms_ensure()[AssessmentForm.Rates.MILESTONES]
        periods = _periods_for(today)
        main = Institution.objects.create(name="Bench University", slug="bench-university")
        small = Institution.objects.create(name="Small College", slug="small-college")
        programs: list[tuple[Program, int, int]] = []  # program, learners, first period index
        for index, size in enumerate(_program_sizes(scale)):
            programs.append(
                (
                    Program.objects.create(
                        institution=main,
                        name=f"Residency {index + 1:02d}" if index else "Internal Medicine",
                        slug=f"program-{index + 1:02d}",
                        stage=Program.Stage.GME,
                        specialty="Internal Medicine" if not index else f"Specialty {index}",
                        duration_years=3,
                    ),
                    size,
                    0,
                )
            )
        small_program = Program.objects.create(
            institution=small,
            name="Family Medicine",
            slug="family-medicine",
            stage=Program.Stage.GME,
            duration_years=3,
        )
        programs.append((small_program, scale.small_learners, PERIODS - 2))
        for program, _, _ in programs:
            program.frameworks.add(framework)
        ReviewPeriod.objects.bulk_create(
            ReviewPeriod(
                program=program,
                name=f"{start:%Y-%m} – {end:%Y-%m}",
                start_date=start,
                end_date=end,
                is_year_end=year_end,
            )
            for program, _, _ in programs
            for start, end, year_end in periods
        )
        academic_now = today.year if today.month >= 7 else today.year - 1
        cohorts = Cohort.objects.bulk_create(
            Cohort(
                program=program,
                name=f"Class of {academic_now + 4 - year}",
                start_year=academic_now + 1 - year,
            )
            for program, _, _ in programs
            for year in (1, 2, 3)
        )
        say(f"  reference rows ready ({time.perf_counter() - started:.1f}s)")

        with deferred_indexes(BULK_TABLES, timed), connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")
            # Staff: one director and FACULTY_PER_PROGRAM assessors per program.
            staff_rows = []
            for program, _, _ in programs:
                staff_rows.append(
                    (program.pk, f"director.{program.slug}@bench.example", "director")
                )
                for n in range(FACULTY_PER_PROGRAM):
                    staff_rows.append(
                        (program.pk, f"faculty{n:02d}.{program.slug}@bench.example", "faculty")
                    )
            cursor.execute(
                "CREATE TEMP TABLE bench_staff (program_id bigint, email text, role text, "
                "n int) ON COMMIT DROP"
            )
            cursor.executemany(
                "INSERT INTO bench_staff VALUES (%s, %s, %s, %s)",
                [
                    (p, e, r, i % (FACULTY_PER_PROGRAM + 1))
                    for i, (p, e, r) in enumerate(staff_rows)
                ],
            )
            cursor.execute(
                """
                INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff,
                    is_active, date_joined, email, display_name)
                SELECT '!', false, '', '', false, true, now(), email,
                       initcap(split_part(email, '@', 1))
                FROM bench_staff
                """
            )
            cursor.execute(
                """
                INSERT INTO programs_programrole (program_id, user_id, role)
                SELECT s.program_id, u.id, s.role FROM bench_staff s
                JOIN accounts_user u ON u.email = s.email
                """
            )
            # Learners: each with a program, a current training year and an "ability".
            cursor.execute(
                "CREATE TEMP TABLE bench_program (program_id bigint, learners int, first_idx int,"
                " offset_n int) ON COMMIT DROP"
            )
            offset = 0
            for program, size, first_idx in programs:
                cursor.execute(
                    "INSERT INTO bench_program VALUES (%s, %s, %s, %s)",
                    [program.pk, size, first_idx, offset],
                )
                offset += size
            cursor.execute(
                """
                CREATE TEMP TABLE bench_learner ON COMMIT DROP AS
                SELECT bp.program_id, bp.first_idx, bp.offset_n + g AS n,
                       1 + (g % 3) AS training_year,
                       (random() - 0.5) * 1.6 AS ability
                FROM bench_program bp, generate_series(0, bp.learners - 1) AS g
                """
            )
            cursor.execute(
                """
                INSERT INTO accounts_user (password, is_superuser, first_name, last_name, is_staff,
                    is_active, date_joined, email, display_name)
                SELECT '!', false, '', '', false, true, now(),
                       'learner' || lpad(n::text, 5, '0') || '@bench.example',
                       'Learner ' || lpad(n::text, 5, '0')
                FROM bench_learner
                """
            )
            cursor.execute(
                """
                ALTER TABLE bench_learner ADD COLUMN learner_id bigint;
                UPDATE bench_learner b SET learner_id = u.id FROM accounts_user u
                 WHERE u.email = 'learner' || lpad(b.n::text, 5, '0') || '@bench.example';
                CREATE INDEX ON bench_learner (program_id);
                ANALYZE bench_learner;
                """
            )
            cursor.execute(
                """
                INSERT INTO programs_enrollment (learner_id, program_id, cohort_id, training_year,
                    start_date, end_date)
                SELECT b.learner_id, b.program_id, c.id, b.training_year,
                       make_date(%s - b.training_year + 1, 7, 1), NULL
                FROM bench_learner b
                JOIN programs_cohort c ON c.program_id = b.program_id
                 AND c.start_year = %s - b.training_year + 1
                """,
                [academic_now, academic_now],
            )
            # Periods with their index and the training year they belong to.
            cursor.execute(
                """
                CREATE TEMP TABLE bench_period ON COMMIT DROP AS
                SELECT p.id, p.program_id, p.start_date, p.end_date, p.is_year_end,
                       (row_number() OVER (PARTITION BY p.program_id ORDER BY p.start_date)) - 1
                         AS idx,
                       CASE WHEN extract(month FROM p.start_date) >= 7
                            THEN extract(year FROM p.start_date)::int
                            ELSE extract(year FROM p.start_date)::int - 1 END AS academic_year,
                       LEAST(p.end_date, %s::date) - p.start_date + 1 AS days
                FROM programs_reviewperiod p
                """,
                [today],
            )
            cursor.execute(
                "CREATE TEMP TABLE bench_competency ON COMMIT DROP AS "
                "SELECT id, row_number() OVER (ORDER BY id) AS k FROM frameworks_competency "
                "WHERE parent_id IS NOT NULL"
            )
            cursor.execute(
                """
                CREATE TEMP TABLE bench_faculty ON COMMIT DROP AS
                SELECT r.program_id, u.id AS user_id,
                       (row_number() OVER (PARTITION BY r.program_id ORDER BY u.id)) - 1 AS k
                FROM programs_programrole r JOIN accounts_user u ON u.id = r.user_id
                WHERE r.role = 'faculty'
                """
            )
            # The expected trajectory: 0.5 + 1 level per training year (+0.5 at year-end).
            level = """GREATEST(0, LEAST(5, round((
                        0.5 + GREATEST(0, b.training_year - (%(academic_now)s - p.academic_year))
                        + CASE WHEN p.is_year_end THEN 0.5 ELSE 0 END
                        + b.ability {noise}) * 2) / 2))"""
            params: dict[str, Any] = {"academic_now": academic_now}
            say(f"  users and enrollments ready ({time.perf_counter() - started:.1f}s)")
            columns = {
                "assessor_id": "f.user_id",
                "learner_id": "b.learner_id",
                "competency_id": "c.id",
                # One random level per row, stored as its level and (on the framework's own
                # scale) its counted level.
                "level": "x.level",
                "counted_level": "x.level",
                "form_id": str(int(form.pk)),
                "scale_id": str(int(framework.scale_id)),
                "went_well": "'Clear, organised presentation; plan tied to the findings ('"
                " || c.k || ').'",
                "next_step": "'Commit to a leading diagnosis and say why before asking for help.'",
                "context": "'Ward round'",
                "observed_on": "p.start_date + floor(random() * p.days)::int",
                "source": "'observation'",
                "created_at": "now()",
                "program_id": "b.program_id",
            }
            names, values = _columns(Assessment, columns, params)
            cursor.execute(
                f"""
                INSERT INTO assessments_assessment ({names})
                SELECT {values}
                FROM bench_learner b
                JOIN bench_period p ON p.program_id = b.program_id AND p.idx >= b.first_idx
                CROSS JOIN bench_competency c
                JOIN bench_faculty f ON f.program_id = b.program_id
                 AND f.k = (b.n + c.k + p.idx) %% {FACULTY_PER_PROGRAM}
                CROSS JOIN LATERAL (SELECT {level.format(noise="+ (random() - 0.5)")} AS level) x
                """,  # noqa: S608 — constants only
                params,
            )
            assessments = cursor.rowcount
            say(f"  {assessments:,} assessor ratings ({time.perf_counter() - started:.1f}s)")
            names, values = _columns(
                SelfAssessment,
                {
                    "learner_id": "b.learner_id",
                    "competency_id": "c.id",
                    "level": level.format(noise="+ 0.25 + (random() - 0.5)"),
                    "note": "''",
                    "assessed_on": "p.start_date + floor(random() * p.days)::int",
                    "created_at": "now()",
                },
                params,
            )
            cursor.execute(
                f"""
                INSERT INTO assessments_selfassessment ({names})
                SELECT {values}
                FROM bench_learner b
                JOIN bench_period p ON p.program_id = b.program_id AND p.idx >= b.first_idx
                CROSS JOIN bench_competency c
                """,  # noqa: S608 — constants only
                params,
            )
            self_assessments = cursor.rowcount
            say(f"  {self_assessments:,} self-assessments ({time.perf_counter() - started:.1f}s)")
            # Reviews: signed off for every past period the learner was enrolled in; the
            # current period is under way for a third of the learners.
            cursor.execute(
                """
                INSERT INTO committee_learnerreview (period_id, learner_id, training_year, status,
                    summary, signed_off_by_id, signed_off_at, learner_response, responded_at,
                    created_at)
                SELECT p.id, b.learner_id,
                       b.training_year - (%(academic_now)s - p.academic_year),
                       CASE WHEN p.idx = %(last)s THEN 'draft' ELSE 'signed_off' END, '',
                       CASE WHEN p.idx = %(last)s THEN NULL ELSE d.user_id END,
                       CASE WHEN p.idx = %(last)s THEN NULL ELSE p.end_date + 14 END,
                       '', NULL, now()
                FROM bench_learner b
                JOIN bench_period p ON p.program_id = b.program_id AND p.idx >= b.first_idx
                JOIN programs_programrole d ON d.program_id = b.program_id AND d.role = 'director'
                WHERE b.training_year - (%(academic_now)s - p.academic_year) >= 1
                  AND (p.idx < %(last)s OR b.n %% 3 = 0)
                """,
                {"academic_now": academic_now, "last": PERIODS - 1},
            )
            reviews = cursor.rowcount
            # Without indexes, a join planned on no statistics can be a nested loop over
            # millions of rows (at 10x it ran for over ten minutes): measure what is there.
            cursor.execute(
                f"ANALYZE {LearnerReview._meta.db_table}, bench_period, bench_competency"
            )
            cursor.execute(
                f"""
                INSERT INTO committee_consensusrating (review_id, competency_id, level, rationale,
                    version, is_current, amendment_reason, recorded_by_id, recorded_at)
                SELECT r.id, c.id, {level.format(noise="")},
                       'Consistent with the period''s observations and narratives.', 1, true, '',
                       d.user_id, now()
                FROM committee_learnerreview r
                JOIN bench_period p ON p.id = r.period_id
                JOIN bench_learner b ON b.learner_id = r.learner_id
                JOIN programs_programrole d ON d.program_id = b.program_id AND d.role = 'director'
                CROSS JOIN bench_competency c
                WHERE r.status = 'signed_off' OR c.k %% 2 = 0
                """,  # noqa: S608 — constants only
                params,
            )
            consensus = cursor.rowcount
            say(
                f"  {reviews:,} reviews, {consensus:,} consensus ratings "
                f"({time.perf_counter() - started:.1f}s)"
            )
    evidence = _evidence(scale, leaves)
    say(f"  {evidence:,} evidence items ({time.perf_counter() - started:.1f}s)")
    blocks = _rotations(today, framework, leaves[0], form)
    say(f"  {blocks:,} rotation blocks ({time.perf_counter() - started:.1f}s)")
    summaries_build(timed)
    with connection.cursor() as cursor:
        # VACUUM too, where it can run (not inside a test's transaction): freshly loaded tables
        # have no visibility map, so index-only scans of covering indexes would still read
        # the table, unlike a live database that autovacuum keeps vacuumed.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    say(f"  vacuumed and analyzed ({time.perf_counter() - started:.1f}s)")

    big = programs[0][0]
    periods_of_big = list(ReviewPeriod.objects.filter(program=big).order_by("start_date"))
    small_periods = list(ReviewPeriod.objects.filter(program=small_program).order_by("start_date"))
    big_cohort = next(c for c in cohorts if c.program_id == big.pk)
    return World(
        today=today,
        institution_id=main.pk,
        big_program_id=big.pk,
        big_director_email=f"director.{big.slug}@bench.example",
        big_cohort_id=big_cohort.pk,
        current_period_id=periods_of_big[-1].pk,
        small_program_id=small_program.pk,
        small_director_email=f"director.{small_program.slug}@bench.example",
        small_period_id=small_periods[-1].pk,
        learner_email="learner00002@bench.example",  # PGY-3 of the big program
        small_learner_email=f"learner{scale.learners:05d}@bench.example",
        counts={
            "learners": scale.learners + scale.small_learners,
            "programs": len(programs),
            "competencies": len(leaves),
            "periods": PERIODS,
            "assessments": assessments,
            "self_assessments": self_assessments,
            "reviews": reviews,
            "consensus": consensus,
            "evidence": evidence,
            "rotation_blocks": blocks,
        },
    )


# What the application keeps on write and a bulk load bypasses, rebuilt from the loaded rows:
# (name, its table, the rebuild returning the rows written). A new summary adds its rebuild
# (the backfill it runs after a bulk load) here, and with its table its indexes are rebuilt
# once after it is filled.
POST_LOAD_SUMMARIES: list[tuple[str, str, Callable[[], int]]] = [
    # the heatmap's
    ("period rating summary", PeriodRatingSummary._meta.db_table, period_summaries_rebuild),
    # the dashboard's
    ("monthly rating summary", MonthlyRatingSummary._meta.db_table, monthly_summaries_rebuild),
    # the institution overview's
    ("program rating histogram", ProgramRatingHistogram._meta.db_table, program_histogram_rebuild),
    ("program month learners", ProgramMonthLearners._meta.db_table, program_learners_rebuild),
]


def summaries_build(log: Callable[[str], object] = print) -> None:
    """Rebuild every summary in POST_LOAD_SUMMARIES from the raw rows, in one transaction, with
    the summary tables' indexes rebuilt once at the end; `manage.py check_summaries` proves
    the result equal to the raw rows."""
    tables = [table for _, table, _ in POST_LOAD_SUMMARIES]
    with deferred_indexes(tables, log), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The rebuilds sort every rating by cell; the server default (4 MB) sorts on disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        for name, _, rebuild in POST_LOAD_SUMMARIES:
            log(f"  {name}: {rebuild():,} cells")


ROTATIONS_PER_PROGRAM = 8
BLOCK_DAYS = 28


def _rotations(today: dt.date, framework: Framework, leaf: Competency, form: AssessmentForm) -> int:
    """A year of four-week blocks for every enrolled learner (thirteen ended, one starting
    today) on the program's eight rotations under its faculty, as a schedule import leaves
    them; each ended block's evaluation asked for, most of them answered, the rest waiting
    (overdue once 14 days past the block). What the completion dashboard counts."""
    params: dict[str, Any] = {
        "today": today,
        "first": today - dt.timedelta(days=BLOCK_DAYS * 13),
        "days": BLOCK_DAYS,
        "rotations": ROTATIONS_PER_PROGRAM,
        "faculty": FACULTY_PER_PROGRAM,
        "framework": framework.pk,
        "form": form.pk,
        "leaf": leaf.pk,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        names, values = _columns(
            Rotation,
            {
                "program_id": "p.id",
                "name": "'Rotation ' || g",
                "form_id": "%(form)s",
                "framework_id": "%(framework)s",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {Rotation._meta.db_table} ({names}) SELECT {values} "  # noqa: S608
            f"FROM {Program._meta.db_table} p, generate_series(1, %(rotations)s) g",
            params,
        )
        through = Rotation.competencies.through._meta.db_table
        cursor.execute(
            f"INSERT INTO {through} (rotation_id, competency_id) "  # noqa: S608
            f"SELECT id, %(leaf)s FROM {Rotation._meta.db_table}",
            params,
        )
        cursor.execute(
            """
            CREATE TEMP TABLE bench_block ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY e.learner_id, k) AS n, e.learner_id,
                   e.program_id, r.id AS rotation_id, f.user_id AS supervisor_id,
                   %(first)s::date + %(days)s * k AS start_on,
                   %(first)s::date + %(days)s * k + %(days)s - 1 AS end_on
            FROM programs_enrollment e
            CROSS JOIN generate_series(0, 13) AS k
            JOIN LATERAL (
                SELECT id FROM assessments_rotation WHERE program_id = e.program_id
                ORDER BY id OFFSET (e.learner_id + k) %% %(rotations)s LIMIT 1
            ) r ON true
            JOIN LATERAL (
                SELECT user_id FROM programs_programrole
                WHERE program_id = e.program_id AND role = 'faculty'
                ORDER BY user_id OFFSET (e.learner_id * 7 + k) %% %(faculty)s LIMIT 1
            ) f ON true
            WHERE e.end_date IS NULL
            """,
            params,
        )
        answered = "(b.n %% 10 < 8 OR b.end_on < %(today)s::date - 120)"
        names, values = _columns(
            AssessmentRequest,
            {
                "learner_id": "b.learner_id",
                "assessor_id": "b.supervisor_id",
                "program_id": "b.program_id",
                "framework_id": "%(framework)s",
                "form_id": "%(form)s",
                "setting": "''",
                "case_type": "'End of rotation'",
                "note": "''",
                "decline_reason": "''",
                "encounter_on": "b.end_on",
                "due_on": "b.end_on + 14",
                "status": f"CASE WHEN {answered} THEN 'completed' ELSE 'open' END",
                "closed_at": f"CASE WHEN {answered} THEN now() END",
                # Pairs each request with its block below; unused by the application.
                "client_token": "md5('bench-block-' || b.n)::uuid",
                "created_at": "b.end_on + 1",
                "updated_at": "now()",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {AssessmentRequest._meta.db_table} ({names}) "  # noqa: S608
            f"SELECT {values} FROM bench_block b WHERE b.end_on < %(today)s",
            params,
        )
        names, values = _columns(
            ScheduledRotation,
            {
                "rotation_id": "b.rotation_id",
                "learner_id": "b.learner_id",
                "supervisor_id": "b.supervisor_id",
                "site": "'General'",
                "start_on": "b.start_on",
                "end_on": "b.end_on",
                "evaluation_state": "CASE WHEN r.id IS NULL THEN 'scheduled' ELSE 'requested' END",
                "evaluation_id": "r.id",
            },
            params,
        )
        cursor.execute(
            f"INSERT INTO {ScheduledRotation._meta.db_table} ({names}) "  # noqa: S608
            f"SELECT {values} FROM bench_block b "
            f"LEFT JOIN {AssessmentRequest._meta.db_table} r "
            "ON r.learner_id = b.learner_id AND r.client_token = md5('bench-block-' || b.n)::uuid",
            params,
        )
        return cursor.rowcount


EVIDENCE_KINDS = [Evidence.Kind.CASE_LOG, Evidence.Kind.PROCEDURE_LOG, Evidence.Kind.REFLECTION]


def _evidence(scale: Scale, leaves: list[Competency]) -> int:
    """`scale.evidence` items for the dashboard learner and ten for the small institution's,
    each tagged with one sub-competency: the largest list a person pages through."""
    owners = [("learner00002@bench.example", scale.evidence)]
    owners.append((f"learner{scale.learners:05d}@bench.example", 10))
    first = dt.date(2020, 1, 1)
    links = Evidence.competencies.through
    total = 0
    for email, count in owners:
        learner_id = User.objects.get(email=email).pk
        items = Evidence.objects.bulk_create(
            (
                Evidence(
                    learner_id=learner_id,
                    kind=EVIDENCE_KINDS[n % len(EVIDENCE_KINDS)],
                    title=f"Case log entry {n + 1}",
                    body="Saw the patient with the team; discussed the plan and follow-up.",
                    occurred_on=first + dt.timedelta(days=n % 2000),
                )
                for n in range(count)
            ),
            batch_size=2000,
        )
        links.objects.bulk_create(
            (
                links(evidence_id=item.pk, competency_id=leaves[n % len(leaves)].pk)
                for n, item in enumerate(items)
            ),
            batch_size=5000,
        )
        total += count
    evidence_counts_rebuild()
    return total


def locate(scale: Scale, today: dt.date) -> World:
    """Find an already generated world (for `--reuse`)."""
    big = Program.objects.get(slug="program-01")
    small_program = Program.objects.get(slug="family-medicine")
    periods_of_big = list(ReviewPeriod.objects.filter(program=big).order_by("start_date"))
    small_periods = list(ReviewPeriod.objects.filter(program=small_program).order_by("start_date"))
    big_cohort = Cohort.objects.filter(program=big).order_by("-start_year").first()
    assert big_cohort is not None
    return World(
        today=today,
        institution_id=big.institution_id,
        big_program_id=big.pk,
        big_director_email=f"director.{big.slug}@bench.example",
        big_cohort_id=big_cohort.pk,
        current_period_id=periods_of_big[-1].pk,
        small_program_id=small_program.pk,
        small_director_email=f"director.{small_program.slug}@bench.example",
        small_period_id=small_periods[-1].pk,
        learner_email="learner00002@bench.example",
        small_learner_email=f"learner{scale.learners:05d}@bench.example",
        counts={
            "learners": scale.learners + scale.small_learners,
            "programs": Program.objects.count(),
            "competencies": Competency.objects.filter(parent__isnull=False).count(),
            "periods": PERIODS,
            "assessments": Assessment.objects.count(),
            "self_assessments": SelfAssessment.objects.count(),
            "reviews": LearnerReview.objects.count(),
            "consensus": ConsensusRating.objects.count(),
            "evidence": Evidence.objects.count(),
        },
    )


__all__ = ["POST_LOAD_SUMMARIES", "SCALES", "Scale", "World", "build", "locate", "summaries_build"]
_ = ProgramRole  # imported for readers: roles are written in SQL above

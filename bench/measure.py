"""Timed measurements, run in a fresh process by bench.runner (see its docstring)."""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench import xapi
from bench.runner import _state, refresh_statistics
from committee.overview import MIN_CELL, overview_reference_sql
from core.db import median_sql

REPEAT = {"tiny": 5, "small": 11, "full": 15, "10x": 5}
# Seconds of timed rounds a measurement may fill beyond its REPEAT (see `Rounds`).
ROUND_BUDGET_S = {"tiny": 1.0, "small": 3.0, "full": 6.0, "10x": 6.0}

_LEARNERS = """
    SELECT e.learner_id FROM programs_enrollment e
    WHERE e.program_id = %(program)s AND e.start_date <= %(end)s
      AND (e.end_date IS NULL OR e.end_date >= %(start)s)"""
_COMPETENCIES = """
    SELECT c.id FROM frameworks_competency c
    JOIN programs_program_frameworks pf ON pf.framework_id = c.framework_id
    WHERE pf.program_id = %(program)s
      AND NOT EXISTS (SELECT 1 FROM frameworks_competency ch WHERE ch.parent_id = c.id)"""

# (a) The heatmap's numbers in one query: per learner enrolled during the period × rated
# sub-competency, the current consensus of the period or else the median of its ratings.
HEATMAP_SQL = f"""
WITH med AS (
    SELECT a.learner_id, a.competency_id, {median_sql("a.counted_level", "postgresql")} AS m,
           count(*) AS n
    FROM assessments_assessment a
    WHERE a.counted_level IS NOT NULL AND a.learner_id IN ({_LEARNERS})
      AND a.competency_id IN ({_COMPETENCIES})
      AND a.observed_on BETWEEN %(start)s AND %(end)s
    GROUP BY a.learner_id, a.competency_id
), con AS (
    SELECT r.learner_id, cr.competency_id, cr.level
    FROM committee_learnerreview r
    JOIN committee_consensusrating cr ON cr.review_id = r.id AND cr.is_current
    WHERE r.period_id = %(period)s AND r.learner_id IN ({_LEARNERS})
      AND cr.competency_id IN ({_COMPETENCIES})
)
SELECT coalesce(med.learner_id, con.learner_id), coalesce(med.competency_id, con.competency_id),
       coalesce(con.level::float, med.m), coalesce(med.n, 0)
FROM med FULL OUTER JOIN con
  ON con.learner_id = med.learner_id AND con.competency_id = med.competency_id
"""  # noqa: S608 — only the median expression is interpolated

# (c) The learner dashboard's numbers in one query: latest self and assessor level per rated
# competency of the learner's current frameworks (with the assessor count), and monthly means
# of both.
DASHBOARD_SQL = """
WITH comps AS (
    SELECT c.id FROM frameworks_competency c
    WHERE c.framework_id IN (
        SELECT pf.framework_id FROM programs_program_frameworks pf
        JOIN programs_enrollment e ON e.program_id = pf.program_id
        WHERE e.learner_id = %(learner)s AND e.end_date IS NULL)
      AND NOT EXISTS (SELECT 1 FROM frameworks_competency ch WHERE ch.parent_id = c.id)
), latest_self AS (
    SELECT DISTINCT ON (competency_id) 'self' AS kind, competency_id, assessed_on AS day,
           level::float AS value, NULL::bigint AS n
    FROM assessments_selfassessment
    WHERE learner_id = %(learner)s AND competency_id IN (SELECT id FROM comps)
    ORDER BY competency_id, assessed_on DESC, created_at DESC, id DESC
), latest_assessor AS (
    SELECT DISTINCT ON (competency_id) 'assessor', competency_id, observed_on,
           counted_level::float, count(*) OVER (PARTITION BY competency_id)
    FROM assessments_assessment
    WHERE learner_id = %(learner)s AND competency_id IN (SELECT id FROM comps)
      AND counted_level IS NOT NULL
    ORDER BY competency_id, observed_on DESC, created_at DESC, id DESC
), self_month AS (
    SELECT 'self-month', competency_id, date_trunc('month', assessed_on)::date,
           avg(level)::float, count(*)
    FROM assessments_selfassessment WHERE learner_id = %(learner)s GROUP BY 2, 3
), assessor_month AS (
    SELECT 'assessor-month', competency_id, date_trunc('month', observed_on)::date,
           avg(counted_level)::float, count(*)
    FROM assessments_assessment WHERE learner_id = %(learner)s AND counted_level IS NOT NULL
    GROUP BY 2, 3
)
SELECT * FROM latest_self UNION ALL SELECT * FROM latest_assessor
UNION ALL SELECT * FROM self_month UNION ALL SELECT * FROM assessor_month
"""


# (e) The largest list a person pages through, one learner's evidence: the first page
# (newest first) with each item's sub-competency codes, in one query. The page adds the
# total count it shows.
EVIDENCE_PAGE_SQL = """
SELECT e.id, e.public_id, e.kind, e.title, e.body, e.occurred_on, e.credit_hours,
       e.external_source, e.external_id, e.file_name, e.file_type, e.file_size, e.updated_at,
       ARRAY(SELECT c.code FROM portfolio_evidence_competencies ec
             JOIN frameworks_competency c ON c.id = ec.competency_id
             WHERE ec.evidence_id = e.id ORDER BY c.code) AS codes
FROM portfolio_evidence e
WHERE e.learner_id = %(learner)s
ORDER BY e.occurred_on DESC, e.id DESC
LIMIT %(limit)s
"""
EVIDENCE_COUNTED_SQL = f"""
SELECT p.*, (SELECT count(*) FROM portfolio_evidence WHERE learner_id = %(learner)s)
FROM ({EVIDENCE_PAGE_SQL}) p
"""  # noqa: S608 — constants only
# The completion dashboard's numbers from the raw tables in one query: evaluations asked
# for, completed, waiting and overdue, by supervising faculty and by rotation, and the first
# 50 waiting ones (due date order, so overdue first).
COMPLETION_SQL = """
WITH asked AS (
    SELECT s.id, s.supervisor_id, s.rotation_id, r.status, r.due_on
    FROM assessments_scheduledrotation s
    JOIN assessments_rotation ro ON ro.id = s.rotation_id
    JOIN assessments_assessmentrequest r ON r.id = s.evaluation_id
    WHERE ro.program_id = %(program)s AND s.evaluation_state = 'requested'
)
SELECT 'faculty' AS grp, supervisor_id AS key, count(*),
       count(*) FILTER (WHERE status = 'completed'),
       count(*) FILTER (WHERE status = 'open'),
       count(*) FILTER (WHERE status = 'open' AND due_on < %(today)s)
FROM asked GROUP BY supervisor_id
UNION ALL
SELECT 'rotation', rotation_id, count(*),
       count(*) FILTER (WHERE status = 'completed'),
       count(*) FILTER (WHERE status = 'open'),
       count(*) FILTER (WHERE status = 'open' AND due_on < %(today)s)
FROM asked GROUP BY rotation_id
UNION ALL
(SELECT 'waiting', id, NULL, NULL, NULL, NULL FROM asked WHERE status = 'open'
 ORDER BY due_on, id LIMIT 50)
"""
EVIDENCE_API_PAGE = 50  # core.api.Cursor's page size
EVIDENCE_HTML_PAGE = 25  # portfolio.views.PAGE_SIZE


@dataclass
class Row:
    label: str
    median_ms: float | None = None
    sql_ms: float | None = None
    me_ms: float | None = None
    queries: tuple[int, int] | None = None
    sizes: str = ""
    peak_mb: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def limit_ms(self) -> float | None:
        if self.sql_ms is None or self.me_ms is None:
            return None
        return self.sql_ms + self.me_ms

    @property
    def ratio(self) -> float | None:
        limit = self.limit_ms
        return None if limit is None or self.median_ms is None else self.median_ms / limit


# Runs before the timed ones, to reach the steady state of a server that has met many
# requests: psycopg prepares a statement on its fifth run on a connection, and PostgreSQL
# plans a prepared statement for its parameters five more times before it settles on one plan.
WARMUP = 12


def _get(client: Client, url: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        # Read the whole body, as a server would when sending it.
        return len(response.content)

    return call


def _sql(
    sql: str, params: dict[str, Any], prepare: bool = False
) -> Callable[[], list[tuple[Any, ...]]]:
    """The raw query, planned on every run (`prepare=False`) or prepared once."""

    def call() -> list[tuple[Any, ...]]:
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own, which takes `prepare`
            cursor.execute(sql, params, prepare=prepare)
            return cursor.fetchall()

    return call


@dataclass(frozen=True)
class Rounds:
    """How many timed rounds a measurement gets: at least `least`, and more while the rounds
    fit in `budget_s` (as timeit's autorange does), up to `most`. A cheap measurement then
    rests on hundreds of samples and its median moves less from run to run; an expensive one
    keeps `least`. `--repeat N` asks for exactly N."""

    least: int
    budget_s: float = 0.0
    most: int = 200

    def count(self, round_s: float) -> int:
        if round_s <= 0:
            return self.least
        return max(self.least, min(self.most, int(self.budget_s / round_s)))


def _timed_in_turns(
    actions: list[Callable[[], object]], rounds: Rounds, warmup: int = WARMUP
) -> list[float]:
    """The median time of each action, timed in turns (a, b, c, a, b, c, ...), as a server
    meets requests. This machine's speed drifts by tens of percent within a run: an endpoint
    and the parts of its limit, timed in the same window, meet the same drift, so their ratio
    does not follow it. No forced collection between runs: `gc.collect()` empties the
    interpreter's free lists, and the run after it pays for refilling them (it doubled the
    time of `/api/v1/me/`, inflating every limit). The warm-up rounds, timed, set how many
    rounds fit the budget."""
    warmup_s = []
    for _ in range(warmup):
        start = time.perf_counter()
        for action in actions:
            action()
        warmup_s.append(time.perf_counter() - start)
    times: list[list[float]] = [[] for _ in actions]
    for _ in range(rounds.count(statistics.median(warmup_s))):
        for action, timed in zip(actions, times, strict=True):
            start = time.perf_counter()
            action()
            timed.append((time.perf_counter() - start) * 1000)
    return [statistics.median(timed) for timed in times]


def _endpoint_and_limit(
    call: Callable[[], object],
    me: Callable[[], object],
    sql: str,
    params: dict[str, Any],
    rounds: Rounds,
) -> tuple[float, float, float]:
    """(endpoint, raw query, /api/v1/me/) medians in ms, timed in turns. The raw query's time
    is its faster way: planned on each run, or prepared (the application's statements are
    prepared from their fifth run on a connection, and a prepared statement's generic plan
    can be slower than one planned for its parameters)."""
    endpoint_ms, me_ms, planned_ms, prepared_ms = _timed_in_turns(
        [call, me, _sql(sql, params, prepare=False), _sql(sql, params, prepare=True)], rounds
    )
    return endpoint_ms, min(planned_ms, prepared_ms), me_ms


def _queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as context:
        action()
    return len(context.captured_queries)


def _peak_mb(action: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1_000_000


def _client_for(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client


def _check_heatmap(client: Client, url: str, raw: list[tuple[Any, ...]]) -> str:
    """The API's cells equal the raw query's numbers (the endpoint computes what it claims)."""
    data = client.get(url).json()
    ids = [c["id"] for c in data["competencies"]]
    api = {}
    for row in data["rows"]:
        for competency_id, value, n in zip(ids, row["values"], row["n"], strict=True):
            if value is not None:
                api[(row["learner_id"], competency_id)] = (round(value, 2), n)
    expected = {(int(p), int(c)): (round(float(v), 2), int(n)) for p, c, v, n in raw}
    if api != expected:
        missing = len(set(expected) - set(api))
        different = sum(1 for k in api if k in expected and api[k] != expected[k])
        raise SystemExit(
            f"heatmap numbers differ from the raw query: {missing} missing, {different} differ"
        )
    return f"{len(api)} cells match"


def _check_overview(client: Client, url: str, raw: list[tuple[Any, ...]]) -> str:
    """The API's groups equal the raw query's, except the small cells it must withhold."""
    data = client.get(url).json()
    raw_by_key = {(p, y): (rated, n, (m, q1, q3)) for p, y, _, rated, n, m, q1, q3 in raw}
    if {(r["program_id"], r["training_year"]) for r in data["rows"]} != set(raw_by_key):
        raise SystemExit("overview groups differ from the raw query")
    withheld = 0
    for row in data["rows"]:
        rated, n, quartiles = raw_by_key[(row["program_id"], row["training_year"])]
        if row["suppressed"]:
            withheld += 1
            if rated >= MIN_CELL or row["median"] is not None:
                raise SystemExit("overview withheld a group of five or more, or leaked one")
        elif (row["learners_rated"], row["ratings"], row["median"], row["q1"], row["q3"]) != (
            rated,
            n,
            *(None if q is None else round(float(q), 2) for q in quartiles),
        ):
            raise SystemExit("overview numbers differ from the raw query")
    return f"{len(raw_by_key) - withheld} groups match, {withheld} withheld (< {MIN_CELL})"


def _check_evidence(client: Client, raw: list[tuple[Any, ...]]) -> str:
    """The API's first page is the raw query's: the same items in the same order, each with
    the same sub-competency codes."""
    data = client.get("/api/v1/evidence/").json()["results"]
    api = [(item["id"], sorted(c["code"] for c in item["competencies"])) for item in data]
    expected = [(row[0], list(row[-1])) for row in raw]
    if api != expected:
        raise SystemExit("evidence page differs from the raw query")
    return f"first {len(api)} items match"


def _check_evidence_pages(client: Client, raw: list[tuple[Any, ...]]) -> str:
    """The HTML list's page count is the raw count's (the page reads the counts kept on write,
    so a stale count fails the run), and its first page names the raw query's first items."""
    total = int(raw[0][-1])
    pages = -(-total // EVIDENCE_HTML_PAGE)
    html = client.get("/evidence/").content.decode()
    if f"Page 1 of {pages}<" not in html:
        raise SystemExit(f"evidence list does not say 'Page 1 of {pages}' ({total} items)")
    if any(f'/evidence/{row[0]}/"' not in html for row in raw):
        raise SystemExit("evidence list's first page differs from the raw query")
    return f"{EVIDENCE_HTML_PAGE} a page, {pages} pages: match"


def _check_dashboard(client: Client, raw: list[tuple[Any, ...]]) -> str:
    """The API's latest levels, counts and monthly means equal the raw query's (the dashboard
    reads the monthly summary, so a stale summary fails the run). Means are compared to the
    cent: the API rounds the exact decimal mean, the raw query answers a float."""
    data = client.get("/api/v1/me/dashboard/").json()
    latest: dict[tuple[str, int], tuple[str, int]] = {}
    for row in data["rows"]:
        cid = row["competency"]["id"]
        if row["self_level"] is not None:
            latest[("self", cid)] = (f"{row['self_level']}@{row['self_on']}", 0)
        if row["assessor_level"] is not None:
            level = f"{row['assessor_level']}@{row['assessor_on']}"
            latest[("assessor", cid)] = (level, row["assessor_n"])
    months = {
        (p["rated_by"], p["competency_id"], p["month"]): (float(p["mean"]), p["n"])
        for p in data["trajectory"]
    }
    raw_latest: dict[tuple[str, int], tuple[str, int]] = {}
    raw_months: dict[tuple[str, int, str], tuple[float, int]] = {}
    for kind, cid, day, value, n in raw:
        if kind in ("self", "assessor"):
            raw_latest[(kind, cid)] = (f"{value:.1f}@{day.isoformat()}", int(n or 0))
        else:
            raw_months[(kind.removesuffix("-month"), cid, day.isoformat())] = (value, int(n))
    if latest != raw_latest:
        raise SystemExit("dashboard latest levels differ from the raw query")
    if set(months) != set(raw_months) or any(
        months[k][1] != raw_months[k][1] or abs(months[k][0] - raw_months[k][0]) > 0.005 + 1e-9
        for k in months
    ):
        raise SystemExit("dashboard monthly means differ from the raw query")
    return f"{len(latest)} latest levels and {len(months)} monthly means match"


def run(args: argparse.Namespace) -> int:
    state = _state()
    if state is None:
        raise SystemExit("No benchmark data: run `python -m bench` without --phase.")
    print(f"  statistics refreshed (ANALYZE) in {refresh_statistics():.1f}s")
    world = json.loads(state["world"])
    scale = state["scale"]
    if args.repeat:
        rounds = Rounds(args.repeat, most=args.repeat)
    else:
        rounds = Rounds(REPEAT[scale], ROUND_BUDGET_S[scale])
    counts = world["counts"]
    print(
        f"  data: {counts['learners']:,} learners, {counts['programs']} programs, "
        f"{counts['competencies']} sub-competencies, {counts['periods']} periods, "
        f"{counts['assessments']:,} assessor ratings, {counts['self_assessments']:,} "
        f"self-assessments, {counts['consensus']:,} consensus ratings; {rounds.least} to "
        f"{rounds.most} timed runs each (as many as fit {rounds.budget_s:.0f} s)"
    )
    from programs.models import ReviewPeriod

    period = ReviewPeriod.objects.get(pk=world["current_period_id"])
    director = _client_for(world["big_director_email"])
    small_director = _client_for(world["small_director_email"])
    learner = _client_for(world["learner_email"])
    small_learner = _client_for(world["small_learner_email"])
    learner_id = User.objects.get(email=world["learner_email"]).pk
    rows: list[Row] = []

    director_me = _get(director, "/api/v1/me/")
    learner_me = _get(learner, "/api/v1/me/")

    # (a) heatmap of the big program.
    program = world["big_program_id"]
    params = {
        "program": program,
        "period": period.pk,
        "start": period.start_date,
        "end": period.end_date,
    }
    raw_heatmap = _sql(HEATMAP_SQL, params)
    big_n = len({r[0] for r in raw_heatmap()})
    for kind, url in (
        ("JSON", f"/api/v1/programs/{program}/heatmap/?period={period.pk}"),
        ("HTML", f"/programs/{program}/heatmap/?period={period.pk}"),
    ):
        call = _get(director, url)
        cohort_call = _get(director, f"{url}&cohort={world['big_cohort_id']}")
        cohort_n = _count_rows(
            director,
            f"/api/v1/programs/{program}/heatmap/?period={period.pk}&cohort={world['big_cohort_id']}",
        )
        median_ms, sql_ms, me_ms = _endpoint_and_limit(
            call, director_me, HEATMAP_SQL, params, rounds
        )
        rows.append(
            Row(
                f"(a) heatmap {big_n} learners, {kind}",
                median_ms=median_ms,
                sql_ms=sql_ms,
                me_ms=me_ms,
                queries=(_queries(call), _queries(cohort_call)),
                sizes=f"{big_n}/{cohort_n}",
                peak_mb=_peak_mb(call),
                note=_check_heatmap(
                    director,
                    f"/api/v1/programs/{program}/heatmap/?period={period.pk}",
                    raw_heatmap(),
                )
                if kind == "JSON"
                else "",
            )
        )

    # (b) institution overview (six whole calendar months and the current one).
    from django.utils import timezone

    from committee.overview import overview_window

    since, until = overview_window(timezone.localdate())
    overview_sql_text = overview_reference_sql(
        "postgresql", institutions="%(institution)s", since="%(since)s", until="%(until)s"
    )
    overview_params = {"institution": world["institution_id"], "since": since, "until": until}
    overview_raw = _sql(overview_sql_text, overview_params)
    for kind, url in (("JSON", "/api/v1/institution/overview/"), ("HTML", "/programs/overview/")):
        call = _get(director, url)
        median_ms, sql_ms, me_ms = _endpoint_and_limit(
            call, director_me, overview_sql_text, overview_params, rounds
        )
        rows.append(
            Row(
                f"(b) institution overview, {kind}",
                median_ms=median_ms,
                sql_ms=sql_ms,
                me_ms=me_ms,
                queries=(_queries(call), _queries(_get(small_director, url))),
                sizes=f"{counts['learners'] - _small_learners(world)}/{_small_learners(world)}",
                peak_mb=_peak_mb(call),
                note=_check_overview(director, "/api/v1/institution/overview/", overview_raw())
                if kind == "JSON"
                else "",
            )
        )

    # (c) one learner's dashboard.
    dashboard_raw = _sql(DASHBOARD_SQL, {"learner": learner_id})
    ratings = sum(1 for r in dashboard_raw() if r[0] == "assessor-month")
    for kind, url in (("JSON", "/api/v1/me/dashboard/"), ("HTML", "/progress/")):
        try:
            call = _get(learner, url)
            call()
        except SystemExit as error:
            rows.append(Row(f"(c) learner dashboard, {kind}", note=f"not measured: {error}"))
            continue
        median_ms, sql_ms, me_ms = _endpoint_and_limit(
            call, learner_me, DASHBOARD_SQL, {"learner": learner_id}, rounds
        )
        rows.append(
            Row(
                f"(c) learner dashboard, {kind}",
                median_ms=median_ms,
                sql_ms=sql_ms,
                me_ms=me_ms,
                queries=(_queries(call), _queries(_get(small_learner, url))),
                sizes="long/short history",
                peak_mb=_peak_mb(call),
                note=_check_dashboard(learner, dashboard_raw())
                if kind == "JSON"
                else f"{len(dashboard_raw())} raw rows ({ratings} assessor months)",
            )
        )

    # (e) the largest list: the dashboard learner's evidence, first page.
    small_learner_id = User.objects.get(email=world["small_learner_email"]).pk
    for kind, url, sql, limit in (
        ("JSON", "/api/v1/evidence/", EVIDENCE_PAGE_SQL, EVIDENCE_API_PAGE),
        ("HTML", "/evidence/", EVIDENCE_COUNTED_SQL, EVIDENCE_HTML_PAGE),
    ):
        call = _get(learner, url)
        evidence_params = {"learner": learner_id, "limit": limit}
        median_ms, sql_ms, me_ms = _endpoint_and_limit(
            call, learner_me, sql, evidence_params, rounds
        )
        mine = len(_sql(sql.replace("LIMIT %(limit)s", ""), evidence_params)())
        theirs = len(_sql(sql.replace("LIMIT %(limit)s", ""), {"learner": small_learner_id})())
        rows.append(
            Row(
                f"(e) evidence list {mine:,} items, {kind}",
                median_ms=median_ms,
                sql_ms=sql_ms,
                me_ms=me_ms,
                queries=(_queries(call), _queries(_get(small_learner, url))),
                sizes=f"{mine}/{theirs}",
                peak_mb=_peak_mb(call),
                note=_check_evidence(learner, _sql(EVIDENCE_PAGE_SQL, evidence_params)())
                if kind == "JSON"
                else _check_evidence_pages(learner, _sql(sql, evidence_params)()),
            )
        )

    # (f) end-of-rotation evaluation completion of the big program.
    # The institution keeps UTC, its default time zone: its today is UTC's.
    completion_params = {"program": program, "today": timezone.now().date()}
    completion_raw = _sql(COMPLETION_SQL, completion_params)
    small_program = world["small_program_id"]
    blocks = _count_blocks(program)
    for kind, url in (
        ("JSON", f"/api/v1/programs/{program}/rotation-completion/"),
        ("HTML", f"/assessments/rotations/{program}/completion/"),
    ):
        call = _get(director, url)
        small_url = url.replace(f"/{program}/", f"/{small_program}/")
        median_ms, sql_ms, me_ms = _endpoint_and_limit(
            call, director_me, COMPLETION_SQL, completion_params, rounds
        )
        rows.append(
            Row(
                f"(f) evaluation completion {blocks:,} blocks, {kind}",
                median_ms=median_ms,
                sql_ms=sql_ms,
                me_ms=me_ms,
                queries=(_queries(call), _queries(_get(small_director, small_url))),
                sizes=f"{blocks}/{_count_blocks(small_program)}",
                peak_mb=_peak_mb(call),
                note=_check_completion(director, url, completion_raw()) if kind == "JSON" else "",
            )
        )

    # (d) check-in POST throughput against /api/v1/me/ requests per second, as another
    # learner of the same program: each run posts hundreds of self-assessments, which would
    # otherwise pile up in the dashboard learner's history and slow the raw query that sets
    # the dashboard's limit on every later `--reuse` run.
    poster = _client_for(_fellow_learner_email(learner_id))
    rows.append(_checkins(poster, rounds))
    rows += _xapi_rows(
        learner, world["learner_email"], learner_id, rounds, args.xapi_statements or None, scale
    )

    _print(rows, scale)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  process peak RSS {peak_rss_mb:.0f} MB (budget 300 MB)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "scale": scale,
                    "counts": counts,
                    "peak_rss_mb": peak_rss_mb,
                    "rows": [
                        {
                            "label": r.label,
                            "median_ms": r.median_ms,
                            "sql_ms": r.sql_ms,
                            "me_ms": r.me_ms,
                            "limit_ms": r.limit_ms,
                            "ratio": r.ratio,
                            "queries": r.queries,
                            "sizes": r.sizes,
                            "peak_mb": r.peak_mb,
                            "note": r.note,
                            **r.extra,
                        }
                        for r in rows
                    ],
                },
                indent=2,
                default=str,
            )
        )
    reset_queries()
    return 0


def _count_blocks(program_id: int) -> int:
    from assessments.models import ScheduledRotation

    return ScheduledRotation.objects.filter(rotation__program_id=program_id).count()


def _check_completion(client: Client, url: str, raw: list[tuple[Any, ...]]) -> str:
    """The endpoint's numbers equal the raw query's, group by group, and the waiting list too."""
    body = client.get(url).json()
    expected = {(grp, key): tuple(numbers) for grp, key, *numbers in raw if grp != "waiting"}
    got = {
        ("faculty", r["id"]): (r["requested"], r["completed"], r["waiting"], r["overdue"])
        for r in body["by_faculty"]
    } | {
        ("rotation", r["id"]): (r["requested"], r["completed"], r["waiting"], r["overdue"])
        for r in body["by_rotation"]
    }
    if got != expected:
        raise SystemExit("completion dashboard differs from the raw query")
    waiting = [key for grp, key, *_ in raw if grp == "waiting"]
    if [w["id"] for w in body["waiting"]] != waiting:
        raise SystemExit("completion dashboard's waiting list differs from the raw query")
    return f"equal to raw ({len(expected)} groups, {body['waiting_total']} waiting)"


def _small_learners(world: dict[str, Any]) -> int:
    from programs.models import Enrollment

    return Enrollment.objects.filter(program_id=world["small_program_id"]).count()


def _count_rows(client: Client, url: str) -> int:
    return len(client.get(url).json()["rows"])


def _fellow_learner_email(learner_id: int) -> str:
    """A current learner of the program `learner_id` is in, other than them."""
    from programs.models import Enrollment

    program_id = Enrollment.objects.filter(learner_id=learner_id, end_date__isnull=True).values(
        "program_id"
    )[:1]
    fellow = (
        Enrollment.objects.filter(program_id__in=program_id, end_date__isnull=True)
        .exclude(learner_id=learner_id)
        .order_by("learner_id")
        .values_list("learner__email", flat=True)
        .first()
    )
    if fellow is None:
        raise SystemExit("The benchmark data has no second learner in the dashboard's program.")
    return fellow


def _checkins(client: Client, rounds: Rounds) -> Row:
    """Sequential check-in POSTs (5 items each) per second, against /api/v1/me/ per second."""
    from frameworks.models import Competency

    competencies = list(
        Competency.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True)
    )[:5]

    def post() -> object:
        response = client.post(
            "/api/v1/check-ins/",
            {
                "client_token": str(uuid.uuid4()),
                "items": [{"competency": pk, "level": "3"} for pk in competencies],
            },
            content_type="application/json",
        )
        if response.status_code != 201:
            raise SystemExit(
                f"check-in POST answered {response.status_code}: {response.content[:200]!r}"
            )
        return response

    try:
        post()
    except SystemExit as error:
        return Row("(d) check-in POST throughput", note=f"not measured: {error}")
    return _throughput_row(
        "(d) check-in POST (5 items) vs /me",
        post,
        _get(client, "/api/v1/me/"),
        rounds,
        posts=max(rounds.least * 4, 20),
        per_post=1,
        unit="check-ins",
        key="checkin_rps",
    )


def _xapi_rows(
    learner: Client,
    email: str,
    learner_id: int,
    rounds: Rounds,
    stored: int | None,
    scale: str,
) -> list[Row]:
    """(f) statements per second in batches of 50 against /me per second; (g) the learner
    dashboard's ratio with STORED statements about the learner beside its ratio without."""
    from xapi.models import LrsClient

    # A run stopped in the middle (killed, out of time) leaves its client and statements:
    # removed first, so this run measures the data it says it does.
    for stale in LrsClient.objects.filter(name__startswith=xapi.CLIENT_PREFIX):
        xapi.clear(stale.pk)
        stale.delete()
    client_id, auth = xapi.new_client()
    try:
        me = _get(learner, "/api/v1/me/")
        dashboard = _get(learner, "/progress/")
        params = {"learner": learner_id}

        def measure() -> tuple[float, float, float]:
            return _endpoint_and_limit(dashboard, me, DASHBOARD_SQL, params, rounds)

        def ratio(times: tuple[float, float, float]) -> float:
            return times[0] / (times[1] + times[2])

        # (g) without, with, without again: the machine's drift within the run falls on both
        # sides alike when "without" is the mean of a measurement before and after.
        first = measure()
        queries_before = _queries(dashboard)
        stored = stored or xapi.STORED[scale]
        seeding = time.perf_counter()
        xapi.store_many(client_id=client_id, email=email, count=stored)
        seeded_s = time.perf_counter() - seeding
        print(f"  (g) {stored:,} statements stored in {seeded_s:.1f}s")
        after = measure()
        queries_after = _queries(dashboard)
        # (f) posted into a store that holds statements and whose statistics say so, as
        # autovacuum keeps a working LRS. Posted into tables just analysed empty, every
        # foreign-key check of the commit is planned as a scan of a table believed empty,
        # and a batch's cost grew with each batch before it (27 to 123 ms over 200 batches
        # on a server with autovacuum off); that measured the statistics, not the LRS.
        posting = _throughput_row(
            "(f) xAPI POST (50 statements) vs /me",
            xapi.poster(Client(), auth, email),
            me,
            rounds,
            posts=max(rounds.least * 2, 10),
            warmup=3,
            per_post=xapi.BATCH,
            unit="statements",
            key="statements_per_s",
            target=" (target ≥ 2)",
        )
        xapi.clear(client_id)
        ratio_before = (ratio(first) + ratio(measure())) / 2
        ratio_after = ratio(after)
        beside = Row(
            f"(g) learner dashboard, HTML, {stored:,} statements stored",
            median_ms=after[0],
            sql_ms=after[1],
            me_ms=after[2],
            queries=(queries_before, queries_after),
            sizes="without/with statements",
            note=f"ratio {ratio_before:.2f} without, {ratio_after:.2f} with: difference "
            f"{ratio_after - ratio_before:+.2f} (target within 0.1)",
            extra={
                "ratio_without": ratio_before,
                "ratio_with": ratio_after,
                "statements_stored": stored,
                "seeded_s": seeded_s,
            },
        )
        return [posting, beside]
    finally:
        xapi.clear(client_id)
        LrsClient.objects.filter(pk=client_id).delete()


def _throughput_row(
    title: str,
    post: Callable[[], object],
    me: Callable[[], object],
    rounds: Rounds,
    *,
    posts: int,
    per_post: int,
    unit: str,
    key: str,
    target: str = "",
    warmup: int = WARMUP,
) -> Row:
    """A POST timed in turns with /api/v1/me/, at least `posts` times: the `unit`s it writes
    per second (`per_post` a POST) against /me's requests per second."""
    post_ms, me_ms = _timed_in_turns(
        [post, me], Rounds(posts, rounds.budget_s, max(posts, rounds.most)), warmup=warmup
    )
    written_ps, me_ps = per_post * 1000 / post_ms, 1000 / me_ms
    return Row(
        title,
        median_ms=post_ms,
        me_ms=me_ms,
        queries=(_queries(post), _queries(post)),
        sizes="same",
        peak_mb=_peak_mb(post),
        note=f"{written_ps:.0f} {unit}/s vs {me_ps:.0f} /me/s: throughput ratio "
        f"{written_ps / me_ps:.2f}{target}",
        extra={key: written_ps, "me_rps": me_ps},
    )


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print(rows: list[Row], scale: str) -> None:
    headers = [
        "measurement",
        "median ms",
        "sql ms",
        "/me ms",
        "limit ms",
        "ratio",
        "queries (sizes)",
        "peak MB",
        "note",
    ]
    table = [
        [
            r.label,
            _fmt(r.median_ms),
            _fmt(r.sql_ms),
            _fmt(r.me_ms),
            _fmt(r.limit_ms),
            _fmt(r.ratio, 2),
            "—" if r.queries is None else f"{r.queries[0]} / {r.queries[1]} ({r.sizes})",
            _fmt(r.peak_mb),
            r.note,
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *table, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(
        f"\nscale: {scale}; ratio = median ÷ (sql + /me); "
        "target: ratio ≤ 1.5, the same queries at both sizes"
    )
    print(line)
    print("-+-".join("-" * w for w in widths))
    for cells in table:
        print(" | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)))


_ = Decimal  # levels arrive as Decimal from psycopg; kept for readers of the checks above

"""The benchmark runner: `python -m bench [--scale tiny|small|full|10x] [--reuse] [--repeat N]`.

1. Points Django at its own PostgreSQL database — DATABASE_URL with the database name replaced
   by `continuum_bench` (or BENCH_DATABASE_URL) — never the application or test database —
   creates it if needed and migrates it.
2. Generates the synthetic institution (bench/generate.py) unless `--reuse` finds one of the
   same scale.
3. Measures in a fresh child process (so its peak memory is the web work's, not the
   generator's), every table analysed first (`refresh_statistics`), through the real URLs
   with Django's test client, DEBUG off:
     (a) the 300-learner program's heatmap, (b) the institution overview, (c) a learner's
     dashboard — each as JSON API and HTML page — against the limit: the median time of the
     one raw SQL query computing the same numbers plus the median time of /api/v1/me/;
     ratio = endpoint median ÷ limit. The endpoint's numbers are checked against the raw SQL.
     Query counts at two sizes; peak Python memory per request (tracemalloc) and the
     process's peak RSS.
     (d) check-in POST throughput as a ratio to /api/v1/me/ requests per second.
     (e) the largest list, a learner's evidence (10,000 items at full scale), first page as
     JSON and HTML, against the raw query of that page; query counts at 10,000 and 10 items.
     (f) xAPI statements posted in batches of 50 per second, against /api/v1/me/ per second;
     (g) the dashboard's ratio with many statements about the learner stored and without
     (bench/xapi.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BENCH_DB_NAME = "continuum_bench"
# bench/generate.py's SCALES (not imported here: it needs Django set up); "1x" is "full".
SCALE_CHOICES = ["tiny", "small", "full", "1x", "10x"]
SCALE_ALIASES = {"1x": "full"}


def bench_database_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/continuum")
    parsed = urlparse(base)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(
            "The benchmark needs PostgreSQL: set DATABASE_URL (or BENCH_DATABASE_URL) to "
            "postgres://…; it uses its own database named continuum_bench on that server."
        )
    return urlunparse(parsed._replace(path=f"/{BENCH_DB_NAME}"))


def _ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if name in ("", "postgres", "template0", "template1") or name.startswith("test_"):
        raise SystemExit(f"Refusing to use database {name!r} for the benchmark.")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _lock(url: str) -> object:
    """Take the database's benchmark lock, waiting if another run (e.g. CI) holds it: two
    runs on one database would empty each other's tables mid-measurement."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    key = 0x0C0117  # arbitrary, constant
    if not conn.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone()[0]:  # type: ignore[index]
        print("  another benchmark run holds this database; waiting for it to finish")
        conn.execute("SELECT pg_advisory_lock(%s)", [key])
    return conn


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("REDIS_URL", None)  # tasks inline, cache in memory: no broker in the timing
    import django

    django.setup()


def refresh_statistics() -> float:
    """Analyse every table before a timing, as autovacuum keeps a live database analysed, and
    return the seconds it took. Without it a table empty when the data was generated (API
    tokens, check-ins, sessions, notifications) keeps statistics that say so after earlier
    runs filled it, and on a server with autovacuum off (CI's) its reads and foreign-key
    checks are planned as scans of an empty table."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _state() -> dict[str, str] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_state (id int PRIMARY KEY, scale text, "
            "today date, world text)"
        )
        cursor.execute("SELECT scale, today, world FROM bench_state WHERE id = 1")
        row = cursor.fetchone()
    if row is None:
        return None
    return {"scale": row[0], "today": row[1].isoformat(), "world": row[2]}


def _save_state(scale: str, today: dt.date, world: dict[str, object]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_state")
        cursor.execute(
            "INSERT INTO bench_state VALUES (1, %s, %s, %s)", [scale, today, json.dumps(world)]
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=SCALE_CHOICES, default="full")
    parser.add_argument(
        "--reuse", action="store_true", help="keep data generated earlier at the same scale"
    )
    parser.add_argument("--repeat", type=int, default=0, help="timed runs per measurement")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--xapi-statements",
        type=int,
        default=0,
        help="statements about the learner for row (g) (default: 100,000; 5,000 at tiny scale)",
    )
    parser.add_argument(
        "--phase",
        choices=["all", "generate", "measure"],
        default="all",
        help="generate: only make sure the data is there (bench/load.py)",
    )
    args = parser.parse_args(argv)
    args.scale = SCALE_ALIASES.get(args.scale, args.scale)

    url = bench_database_url()
    if args.phase == "measure":
        _setup_django(url)
        from bench.measure import run

        return run(args)

    started = time.perf_counter()
    _ensure_database(url)
    lock = _lock(url)  # held until this process exits: one run per database at a time
    _setup_django(url)
    from django.core.management import call_command

    print(f"== benchmark at scale '{args.scale}' in {urlparse(url).path.lstrip('/')}")
    call_command("migrate", verbosity=0, interactive=False)
    from dataclasses import asdict

    from django.utils import timezone

    from bench.generate import SCALES, build

    state = _state()
    today = timezone.localdate()
    if args.reuse and state and state["scale"] == args.scale:
        print(f"  reusing data generated for {state['today']}")
    else:
        print("== generating data")
        world = build(SCALES[args.scale], today)
        _save_state(args.scale, today, {**asdict(world), "today": today.isoformat()})
    print(f"  ready after {time.perf_counter() - started:.1f}s")
    from django.db import connections

    connections.close_all()
    if args.phase == "generate":
        return 0
    print("== measuring (fresh process)")
    command = [sys.executable, "-m", "bench", "--phase", "measure", "--scale", args.scale]
    if args.repeat:
        command += ["--repeat", str(args.repeat)]
    if args.json:
        command += ["--json", str(args.json)]
    if args.xapi_statements:
        command += ["--xapi-statements", str(args.xapi_statements)]
    result = subprocess.run(command, check=False, env={**os.environ, "DATABASE_URL": url})  # noqa: S603
    print(f"== benchmark finished in {time.perf_counter() - started:.1f}s")
    del lock
    return result.returncode

"""Backups (docs/deployment.md, "Backups and restore"): the demo, seeded into a throwaway
database, goes through `pg_dump --format=custom` and `pg_restore` into a second throwaway
database, and comes back equal — every table's row count, a few tables' whole content, every
sequence's position (a restored database must not hand out ids it already holds), and a demo
learner's dashboard as the API serves it from each database.

Both databases are made by the test on the server DATABASE_URL names and dropped afterwards,
whatever happens; the application runs on them in child processes, as an operator's
`manage.py` would. Never the test database, never `continuum`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
# Tables compared row by row (ordered by primary key), beyond the counts of every table.
CONTENT_TABLES = [
    "accounts_user",
    "programs_enrollment",
    "assessments_assessment",
    "assessments_selfassessment",
    "assessments_monthlyratingsummary",
    "portfolio_evidence",
]
# Prints the dashboard of the demo's first resident, as the JSON API serves it.
DASHBOARD = """
import json
from django.test import Client
from accounts.models import User
from demo.world import RESIDENT_NAMES, email_for
client = Client()
client.force_login(User.objects.get(email=email_for(RESIDENT_NAMES[0])))
response = client.get("/api/v1/me/dashboard/")
assert response.status_code == 200, response.status_code
print(json.dumps(response.json(), sort_keys=True))
"""


def _server_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/postgres"


def _url_of(name: str) -> str:
    return urlunparse(urlparse(_server_url())._replace(path=f"/{name}"))


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_server_url(), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """Two empty throwaway databases, dropped afterwards (WITH FORCE: a failed step may leave
    a connection open)."""
    tag = uuid.uuid4().hex[:8]
    names = (f"continuum_backup_src_{tag}", f"continuum_backup_dst_{tag}")
    for name in names:
        _admin(f'CREATE DATABASE "{name}"')
    try:
        yield names
    finally:
        for name in names:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        DATABASE_URL=_url_of(database),
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        EMAIL_URL="dummymail://",
    )
    return env


def _manage(database: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_environment(database),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}"
    return result.stdout


def _libpq(database: str) -> dict[str, str]:
    """The connection as pg_dump and pg_restore take it: in libpq's variables."""
    parsed = urlparse(_url_of(database))
    env = {**os.environ, "PGHOST": parsed.hostname or "127.0.0.1"}
    env["PGPORT"] = str(parsed.port or 5432)
    env["PGUSER"] = parsed.username or "postgres"
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return env


def _snapshot(database: str) -> dict[str, object]:
    """Row counts of every table, the content of CONTENT_TABLES (an md5 of their rows in
    primary-key order) and every sequence's last value."""
    import psycopg

    snapshot: dict[str, object] = {}
    with psycopg.connect(_url_of(database)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        for table in tables:
            count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            snapshot[f"rows {table}"] = count[0] if count else None
        for table in CONTENT_TABLES:
            digest = conn.execute(
                f"SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM \"{table}\" t"
            ).fetchone()
            snapshot[f"content {table}"] = digest[0] if digest else None
        for name, last in conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        ):
            snapshot[f"sequence {name}"] = last
    return snapshot


def _dashboard(database: str) -> dict[str, Any]:
    # The last line: `shell` may say first how many objects it imported for itself.
    data: dict[str, Any] = json.loads(
        _manage(database, "shell", "-c", DASHBOARD).strip().splitlines()[-1]
    )
    return data


def test_the_demo_survives_a_pg_dump_and_pg_restore_round_trip(databases, tmp_path):
    source, restored = databases
    _manage(source, "migrate", "--noinput")
    _manage(source, "seed_demo")
    before = _snapshot(source)
    # The demo is there to compare: ratings, evidence and people.
    assert before["rows assessments_assessment"] and before["rows portfolio_evidence"]
    assert all(before[f"content {table}"] for table in CONTENT_TABLES)

    dump = tmp_path / "continuum.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source],
        env=_libpq(source),
        check=True,
    )
    assert dump.stat().st_size > 0
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
        env=_libpq(restored),
        check=True,
    )

    after = _snapshot(restored)
    assert after == before
    # The application reads the restored database as it read the original: same schema
    # (no migration left to apply) and the same numbers on a learner's dashboard.
    assert "No planned migration operations" in _manage(restored, "migrate", "--plan")
    dashboard = _dashboard(source)
    assert dashboard == _dashboard(restored)
    assert dashboard["rows"] and dashboard["trajectory"], "the demo learner's dashboard is empty"

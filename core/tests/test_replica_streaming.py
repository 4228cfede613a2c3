"""The read replica for real: a PostgreSQL primary this test makes (initdb on a free port),
a streaming standby of it (pg_basebackup -R), and the app's `default` and `replica` aliases
pointed at them for each test. CI runs these as their own stage (`-m replica`).

The primary gets the test database's schema and seeded rows by pg_dump (a logical copy of
the database pytest-django migrated), which is quicker than migrating again; the standby is a
base backup of the primary alone, never of the shared cluster.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.tests.factories import AssessmentFactory
from committee.heatmap import Filters, heatmap_build
from core.replica import REPLICA, WROTE_COOKIE, read_alias, reading_from_replica
from programs.tests.factories import ReviewPeriodFactory, enrol, program_with_framework
from tests.factories import ProgramRoleFactory, UserFactory

# It copies the test database into its primary: the test database must be PostgreSQL too.
pytestmark = [pytest.mark.replica, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Clusters:
    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="continuum-replica-test-"))
        self.primary_port, self.replica_port = _free_port(), _free_port()
        self.as_postgres: dict[str, Any] = {}
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pw = pwd.getpwnam("postgres")
            self.as_postgres = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
            os.chown(self.work, pw.pw_uid, pw.pw_gid)
        self.started: list[Path] = []

    def run(self, *command: str, postgres: bool = True, **kwargs: Any) -> None:
        extra = {**self.as_postgres, "cwd": self.work} if postgres else {}
        subprocess.run(command, check=True, capture_output=True, **extra, **kwargs)

    def start(self, data: Path, port: int) -> None:
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {self.work} -c fsync=off"
        self.started.append(data)
        self.run(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
            "-l", str(self.work / f"{data.name}.log"), "start",
        )  # fmt: skip

    def stop(self) -> None:
        for data in reversed(self.started):
            subprocess.run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                **self.as_postgres,
            )
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture(scope="module")
def clusters(django_db_setup: None, django_db_blocker: Any) -> Iterator[_Clusters]:
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("CONTINUUM_REQUIRE_SERVICES"):
            pytest.fail(f"no PostgreSQL server binaries in {PG_BIN}")
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    found = _Clusters()
    try:
        primary, standby = found.work / "primary", found.work / "standby"
        found.run(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust")
        found.start(primary, found.primary_port)
        test_db = connections["default"].settings_dict
        found.run(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(found.primary_port),
            "-U", "postgres", "continuum",
        )  # fmt: skip
        dump = subprocess.Popen(
            [str(PG_BIN / "pg_dump"), "-h", str(test_db["HOST"] or "127.0.0.1"),
             "-p", str(test_db["PORT"] or 5432), "-U", str(test_db["USER"] or "postgres"),
             "--no-owner", str(test_db["NAME"])],
            stdout=subprocess.PIPE, env={**os.environ, "PGPASSWORD": str(test_db["PASSWORD"])},
        )  # fmt: skip
        subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(found.primary_port),
             "-U", "postgres", "-d", "continuum", "-q", "-v", "ON_ERROR_STOP=1"],
            stdin=dump.stdout, check=True, capture_output=True,
        )  # fmt: skip
        assert dump.wait() == 0
        found.run(
            str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(found.primary_port),
            "-U", "postgres", "-D", str(standby), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        found.start(standby, found.replica_port)
        yield found
    finally:
        found.stop()


@pytest.fixture
def routed(
    clusters: _Clusters, transactional_db: None, django_db_blocker: Any
) -> Iterator[_Clusters]:
    """`default` on the test's primary and `replica` on its standby, with the router on; the
    test database comes back afterwards (pytest-django empties it, not the primary)."""
    default = connections.settings["default"]
    saved = dict(default)
    connections["default"].close()
    default.update(HOST="127.0.0.1", PORT=str(clusters.primary_port), NAME="continuum")
    default.update(USER="postgres", PASSWORD="")
    connections.settings[REPLICA] = {**default, "PORT": str(clusters.replica_port)}
    try:
        with (
            override_settings(
                DATABASE_ROUTERS=["core.replica.ReplicaRouter"],
                REPLICA_READ_YOUR_WRITES_SECONDS=10,
            ),
            # Django's test case refuses connections to aliases it did not know when it
            # started; the replica alias appears only now, so connect the plain way.
            mock.patch.object(
                BaseDatabaseWrapper,
                "ensure_connection",
                django_db_blocker._real_ensure_connection,
            ),
        ):
            yield clusters
    finally:
        for alias in ("default", REPLICA):
            connections[alias].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        default.clear()
        default.update(saved)


def _scalar(alias: str, sql: str) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _replayed() -> None:
    """Until the standby has replayed everything committed on the primary so far."""
    target = _scalar("default", "SELECT pg_current_wal_lsn()::text")
    for _ in range(300):
        if _scalar(REPLICA, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            return
        time.sleep(0.1)
    raise AssertionError("the standby did not catch up in 30 s")


def _replay(paused: bool) -> None:
    _scalar(REPLICA, "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")
    want = "paused" if paused else "not paused"
    for _ in range(300):
        if _scalar(REPLICA, "SELECT pg_get_wal_replay_pause_state()") == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"replay did not become {want}")


def _world() -> dict[str, Any]:
    """A program whose heatmap has one learner rated once, committed on the primary."""
    today = timezone.localdate()
    program, leaves = program_with_framework(domains=1, per_domain=2)
    period = ReviewPeriodFactory(
        program=program,
        start_date=today - dt.timedelta(days=60),
        end_date=today + dt.timedelta(days=60),
    )
    [learner] = enrol(program, 1)
    AssessmentFactory(
        learner=learner, competency=leaves[0], level=2, observed_on=today - dt.timedelta(days=9)
    )
    director = UserFactory()
    ProgramRoleFactory(user=director, program=program, role="director")
    return {"program": program, "leaves": leaves, "period": period, "learner": learner,
            "director": director, "today": today}  # fmt: skip


def _first_cell(document: dict[str, Any]) -> tuple[Any, Any, Any]:
    [row] = document["rows"]
    return row["values"][0], row["sources"][0], row["n"][0]


def test_committed_data_is_read_through_the_replica_by_an_opted_in_selector(routed):
    assert _scalar(REPLICA, "SELECT pg_is_in_recovery()") is True
    world = _world()
    _replayed()

    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
        reading_from_replica(),
    ):
        assert read_alias() == REPLICA
        heatmap = heatmap_build(program=world["program"], filters=Filters(world["period"].pk))
    [row] = heatmap.as_dict()["rows"]
    assert (row["learner_id"], row["n"][0]) == (world["learner"].pk, 1)
    assert len(on_replica) >= 1
    assert len(on_primary) == 0

    # Outside the opt-in, and inside a transaction on the primary, reads stay on the primary.
    assert read_alias() == "default"
    with reading_from_replica(), transaction.atomic():
        assert read_alias() == "default"


def test_a_stale_replica_serves_others_but_not_the_person_who_just_wrote(routed):
    world = _world()
    _replayed()
    program, period, learner = world["program"], world["period"], world["learner"]
    heatmap_url = reverse("api-heatmap", kwargs={"program_id": program.pk})
    heatmap_url += f"?period={period.pk}"
    director, colleague = Client(), Client()
    director.force_login(world["director"])
    other = UserFactory()
    ProgramRoleFactory(user=other, program=program, role="director")
    colleague.force_login(other)
    _replayed()

    _replay(paused=True)
    try:
        # The director records consensus: committed on the primary, not yet on the replica.
        wrote = director.post(
            reverse(
                "api-consensus-record",
                kwargs={"program_id": program.pk, "period_id": period.pk, "learner_id": learner.pk},
            ),
            {"competency_id": world["leaves"][0].pk, "level": "3.0", "rationale": "Agreed."},
            content_type="application/json",
        )
        assert wrote.status_code == 201, wrote.content
        assert WROTE_COOKIE in wrote.cookies

        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            stale = colleague.get(heatmap_url)
        assert stale.status_code == 200
        assert _first_cell(stale.json()) == (2.0, "r", 1)  # ratings: what the replica has
        assert len(on_replica) >= 1

        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            fresh = director.get(heatmap_url)  # within the window: the primary
        assert fresh.status_code == 200
        assert _first_cell(fresh.json())[:2] == (3.0, "c")  # consensus
        assert len(on_replica) == 0
    finally:
        _replay(paused=False)

    _replayed()
    assert _first_cell(colleague.get(heatmap_url).json())[:2] == (3.0, "c")  # consensus


def test_the_replica_refuses_writes(routed):
    with pytest.raises(DatabaseError, match="read-only"), connections[REPLICA].cursor() as cursor:
        cursor.execute("CREATE TABLE continuum_replica_probe (id int)")
    # A write inside an opted-in block still goes to the primary.
    with reading_from_replica():
        user = UserFactory()
    assert _scalar("default", f"SELECT count(*) FROM accounts_user WHERE id = {user.pk}") == 1

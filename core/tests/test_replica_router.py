"""The read replica's rules without a replica: where reads and writes go, and when the
read-your-writes window opens and closes (core.replica). The same rules against a real
streaming replica: test_replica_streaming.py."""

import json
import os
import subprocess
import sys
import time

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpResponse
from django.test import RequestFactory

from core.replica import (
    REPLICA,
    WROTE_COOKIE,
    PrimaryAfterWriteMiddleware,
    ReplicaRouter,
    read_alias,
    reading_from_primary,
    reading_from_replica,
)

# The fixture adds an alias to DATABASES that nothing connects to; Django warns on any change.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def with_replica(settings):
    # Only the alias's presence matters here: nothing connects to it.
    settings.DATABASES = {**settings.DATABASES, REPLICA: {**settings.DATABASES["default"]}}
    settings.REPLICA_READ_YOUR_WRITES_SECONDS = 10
    return settings


def test_without_a_replica_every_read_is_the_primarys_even_where_a_page_opts_in():
    with reading_from_replica():
        assert read_alias() == DEFAULT_DB_ALIAS
    assert ReplicaRouter().db_for_read(object) == DEFAULT_DB_ALIAS


def test_only_opted_in_reads_go_to_the_replica(with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(object) == DEFAULT_DB_ALIAS
    with reading_from_replica():
        assert router.db_for_read(object) == REPLICA
        with reading_from_primary():
            assert router.db_for_read(object) == DEFAULT_DB_ALIAS
        assert router.db_for_read(object) == REPLICA
    assert router.db_for_read(object) == DEFAULT_DB_ALIAS


def test_the_opt_in_is_also_a_decorator(with_replica):
    @reading_from_replica()
    def page() -> str:
        return read_alias()

    assert page() == REPLICA
    assert read_alias() == DEFAULT_DB_ALIAS


def test_writes_and_migrations_only_ever_go_to_the_primary(with_replica):
    router = ReplicaRouter()
    with reading_from_replica():
        assert router.db_for_write(object) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "portfolio") is True
    assert router.allow_migrate(REPLICA, "portfolio") is False


def _middleware(method_status: dict[str, int]):
    seen: list[str] = []

    def view(request):
        with reading_from_replica():
            seen.append(read_alias())
        return HttpResponse(status=method_status.get(request.method, 200))

    return PrimaryAfterWriteMiddleware(view), seen


def test_after_a_write_the_persons_opted_in_pages_read_the_primary(with_replica):
    middleware, seen = _middleware({"POST": 201})
    factory = RequestFactory()

    assert WROTE_COOKIE not in middleware(factory.get("/heatmap/")).cookies
    wrote = middleware(factory.post("/consensus/"))
    cookie = wrote.cookies[WROTE_COOKIE]
    assert cookie["max-age"] == 10 and cookie["httponly"] and cookie["samesite"] == "Lax"

    after = factory.get("/heatmap/")
    after.COOKIES[WROTE_COOKIE] = cookie.value
    middleware(after)
    assert seen == [REPLICA, REPLICA, DEFAULT_DB_ALIAS]


def test_the_window_closes_and_a_forged_mark_is_ignored(with_replica, monkeypatch):
    middleware, seen = _middleware({})
    factory = RequestFactory()
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 11)  # written 11 s ago
    old = middleware(factory.post("/consensus/")).cookies[WROTE_COOKIE].value
    monkeypatch.setattr(time, "time", real_time)

    for value in (old, "1", old.replace(":", ";")):
        request = factory.get("/heatmap/")
        request.COOKIES[WROTE_COOKIE] = value
        middleware(request)
    assert seen == [REPLICA] * 4  # the write itself, then three reads the mark does not pin


def test_a_refused_write_opens_no_window(with_replica):
    middleware, _ = _middleware({"POST": 400, "DELETE": 404})
    factory = RequestFactory()
    assert WROTE_COOKIE not in middleware(factory.post("/consensus/")).cookies
    assert WROTE_COOKIE not in middleware(factory.delete("/consensus/")).cookies


def test_without_a_replica_the_middleware_sets_no_cookie():
    middleware, seen = _middleware({})
    assert WROTE_COOKIE not in middleware(RequestFactory().post("/consensus/")).cookies
    assert seen == [DEFAULT_DB_ALIAS]


def _settings_with(**environ: str) -> dict:
    """config.settings' databases and routers as a fresh process reads them from `environ`."""
    code = (
        "import json; from config import settings as s; print(json.dumps({'databases': "
        "s.DATABASES, 'routers': getattr(s, 'DATABASE_ROUTERS', [])}, default=str))"
    )
    env = {**os.environ, "DATABASE_URL": "postgres://app@pool:6432/continuum", **environ}
    if "REPLICA_DATABASE_URL" not in environ:
        env.pop("REPLICA_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_behind_pgbouncer_no_alias_keeps_cursors_or_prepared_statements():
    found = _settings_with(
        DATABASE_POOLER="pgbouncer",
        REPLICA_DATABASE_URL="postgres://app@pool:6432/continuum_replica",
    )
    assert found["routers"] == ["core.replica.ReplicaRouter"]
    assert set(found["databases"]) == {"default", REPLICA}
    for database in found["databases"].values():
        assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert database["OPTIONS"]["prepare_threshold"] is None
        assert "server_side_binding" not in database["OPTIONS"]
    assert found["databases"][REPLICA]["NAME"] == "continuum_replica"
    assert found["databases"][REPLICA]["TEST"] == {"MIRROR": "default"}


def test_without_those_settings_there_is_one_database_and_no_router():
    found = _settings_with(DATABASE_POOLER="")
    assert found["routers"] == []
    [database] = found["databases"].values()
    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert "DISABLE_SERVER_SIDE_CURSORS" not in database

"""The xAPI rows of the benchmark (run by bench.measure):

(f) statements posted in batches of 50 per second, as a ratio to /api/v1/me/ requests per
    second (target ≥ 2), into a store that holds (g)'s statements, analysed, as a working LRS
    is (posted into tables analysed empty, each batch cost more than the one before);
(g) the learner dashboard's ratio with many statements about that learner stored (100,000 at
    full scale) beside its ratio without them, timed in the same run: the LRS must not slow
    the learner's pages (target: within 0.1, the same queries).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from xapi.models import (
    IncomingDecision,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)
from xapi.services.clients import lrs_client_create
from xapi.validation import person_key

BATCH = 50
# Statements about the dashboard's learner for row (g): the 100,000 at every scale but
# tiny, which CI runs on each push (`--xapi-statements` sets another number).
STORED = {"tiny": 5_000, "small": 100_000, "full": 100_000, "10x": 100_000}
VERB = "http://adlnet.gov/expapi/verbs/completed"


def statement_about(email: str, n: int) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:{email}", "name": "Bench learner"},
        "verb": {"id": VERB, "display": {"en-US": "completed"}},
        "object": {
            "id": f"https://sim.example.org/stations/{n % 40}",
            "definition": {"name": {"en-US": f"Station {n % 40}"}},
        },
        "result": {"score": {"raw": n % 10, "max": 10}, "success": n % 3 != 0},
    }


def poster(client: Client, auth: str, email: str) -> Callable[[], object]:
    counter = iter(range(10**9))

    def post() -> object:
        batch = [statement_about(email, next(counter)) for _ in range(BATCH)]
        response = client.post(
            "/xapi/statements",
            json.dumps(batch),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
            HTTP_X_EXPERIENCE_API_VERSION="1.0.3",
        )
        if response.status_code != 200:
            raise SystemExit(
                f"xAPI POST answered {response.status_code}: {response.content[:200]!r}"
            )
        return response

    return post


def store_many(*, client_id: int, email: str, count: int) -> None:
    """Statements about the learner, as months of a busy client would leave, written with
    PostgreSQL's COPY: 100,000 statements with their agent and activity rows take seconds
    (Django's bulk_create would take minutes). The rows are those `statements_insert` writes
    for such a statement: the statement JSON as stored, its actor and object rows."""
    key = person_key({"mbox": f"mailto:{email}"})
    now = timezone.now()
    tables = {
        model: model._meta.db_table for model in (Statement, StatementAgent, StatementActivity)
    }
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own, which has copy()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'seq')) FROM generate_series(1, %s)",
            [tables[Statement], count],
        )
        seqs = [row[0] for row in cursor.fetchall()]
        copy_statements = (
            f"COPY {tables[Statement]} (seq, statement_id, client_id, data, stored, verb_id, "
            "voided, actor_ifi) FROM STDIN"
        )
        with cursor.copy(copy_statements) as copy:
            for n, seq in enumerate(seqs):
                data = statement_about(email, n)
                statement_id = str(uuid.uuid4())
                stored = now - dt.timedelta(seconds=n)
                text = stored.isoformat(timespec="milliseconds").replace("+00:00", "Z")
                data |= {
                    "id": statement_id,
                    "stored": text,
                    "timestamp": text,
                    "version": "1.0.0",
                }
                copy.write_row(
                    (seq, statement_id, client_id, json.dumps(data), stored, VERB, False, key)
                )
        agents = f"COPY {tables[StatementAgent]} (statement_id, ifi, direct) FROM STDIN"
        with cursor.copy(agents) as copy:
            for seq in seqs:
                copy.write_row((seq, key, True))
        activities = (
            f"COPY {tables[StatementActivity]} (statement_id, activity_id, direct) FROM STDIN"
        )
        with cursor.copy(activities) as copy:
            for n, seq in enumerate(seqs):
                copy.write_row((seq, statement_about(email, n)["object"]["id"], True))
    settle()


def clear(client_id: int) -> None:
    """Delete the client's statements and the rows that hang on them in a few statements (the
    ORM's delete would load every row first), so `--reuse` runs measure the same data."""
    statements = Statement._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (StatementAgent, StatementActivity, StatementAttachment, IncomingDecision):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE statement_id IN "  # noqa: S608
                f"(SELECT seq FROM {statements} WHERE client_id = %s)",
                [client_id],
            )
        cursor.execute(f"DELETE FROM {statements} WHERE client_id = %s", [client_id])  # noqa: S608
    settle()


def settle() -> None:
    """Vacuum and analyse the statement tables now, so autovacuum does not wake up for the
    rows just written or deleted in the middle of the next timing. (Not inside a transaction,
    where PostgreSQL refuses VACUUM: the benchmark's own tests.)"""
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (Statement, StatementAgent, StatementActivity):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


# The benchmark's own LRS clients are named with it (and removed at the end of each run).
CLIENT_PREFIX = "Bench "


def new_client() -> tuple[int, str]:
    credentials = lrs_client_create(name=f"{CLIENT_PREFIX}{uuid.uuid4().hex[:8]}")
    return credentials.client.pk, basic_auth(credentials.key, credentials.secret)

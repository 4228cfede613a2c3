"""The xAPI rows of the benchmark (run by bench.measure):

(f) statements posted in batches of 50 per second, as a ratio to /api/v1/me/ requests per
    second (target ≥ 2);
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

from django.db import transaction
from django.test import Client
from django.utils import timezone

from xapi.models import Statement, StatementActivity, StatementAgent
from xapi.services.clients import lrs_client_create
from xapi.validation import person_key

BATCH = 50
STORED = {"tiny": 2_000, "small": 20_000, "full": 100_000}
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
    """Statements about the learner written in bulk, as months of a busy client would leave."""
    key = person_key({"mbox": f"mailto:{email}"})
    now = timezone.now()
    for start in range(0, count, 5_000):
        rows = []
        for n in range(start, min(count, start + 5_000)):
            data = statement_about(email, n)
            statement_id = str(uuid.uuid4())
            stored = (now - dt.timedelta(minutes=n)).isoformat()
            data |= {"id": statement_id, "stored": stored, "timestamp": stored, "version": "1.0.0"}
            rows.append(
                Statement(
                    statement_id=statement_id,
                    client_id=client_id,
                    data=data,
                    stored=now - dt.timedelta(minutes=n),
                    verb_id=VERB,
                    actor_ifi=key,
                )
            )
        with transaction.atomic():
            created = Statement.objects.bulk_create(rows)
            StatementAgent.objects.bulk_create(
                StatementAgent(statement=row, ifi=key, direct=True) for row in created
            )
            StatementActivity.objects.bulk_create(
                StatementActivity(statement=row, activity_id=row.data["object"]["id"], direct=True)
                for row in created
            )


def clear(client_id: int) -> None:
    """Leave the benchmark database as it was, so `--reuse` runs measure the same data. In
    batches: the ORM's cascade to 100,000 statements' agents and activities would otherwise
    send more parameters than PostgreSQL takes in one statement (65,535)."""
    while True:
        batch = list(
            Statement.objects.filter(client_id=client_id).values_list("pk", flat=True)[:10_000]
        )
        if not batch:
            return
        Statement.objects.filter(pk__in=batch).delete()


def basic_auth(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def new_client() -> tuple[int, str]:
    credentials = lrs_client_create(name=f"Bench {uuid.uuid4().hex[:8]}")
    return credentials.client.pk, basic_auth(credentials.key, credentials.secret)

"""Row (g)'s statements are written with COPY, beside the application's own insert: they must
be statements the LRS and the learner's incoming learning read like any other, and `clear`
must remove them with every row that hangs on them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bench import xapi
from xapi.models import Statement, StatementActivity, StatementAgent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_bulk_written_statements_read_like_posted_ones_and_clear_removes_them(learner):
    client_id, auth = xapi.new_client()
    headers = {"HTTP_AUTHORIZATION": auth, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}

    xapi.store_many(client_id=client_id, email=learner.email, count=30)
    xapi.poster(Client(), auth, learner.email)()  # 50 more, through the LRS, after them

    lrs = Client()
    by_agent = lrs.get(
        "/xapi/statements",
        {"agent": json.dumps({"mbox": f"mailto:{learner.email}"}), "limit": "100"},
        **headers,
    ).json()["statements"]
    by_activity = lrs.get(
        "/xapi/statements",
        {"activity": "https://sim.example.org/stations/3", "limit": "100"},
        **headers,
    ).json()["statements"]
    one = lrs.get("/xapi/statements", {"statementId": by_agent[-1]["id"]}, **headers).json()
    learner_view = Client()
    learner_view.force_login(learner)
    incoming = learner_view.get("/api/v1/learning/incoming/").json()

    assert len(by_agent) == 80
    assert by_agent[-1]["stored"] <= by_agent[0]["stored"]
    assert one["object"]["id"].startswith("https://sim.example.org/stations/")
    assert len(by_activity) == 3  # stations/3: n = 3 of the 30; n = 3 and 43 of the 50
    assert incoming["count"] == 80

    xapi.clear(client_id)

    assert not Statement.objects.exists()
    assert not StatementAgent.objects.exists()
    assert not StatementActivity.objects.exists()

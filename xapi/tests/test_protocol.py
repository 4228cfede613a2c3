"""Version negotiation and the alternate request syntax, as each xAPI version wants them."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from xapi.models import Statement
from xapi.tests.helpers import new_id, new_lrs, statement

pytestmark = pytest.mark.django_db


def test_a_request_without_a_version_is_refused_in_the_version_the_client_last_used():
    lrs = new_lrs()
    lrs.version = "1.0.3"
    assert lrs.get("statements").status_code == 200
    headers = lrs.headers()
    del headers["HTTP_X_EXPERIENCE_API_VERSION"]

    response = lrs.client.get("/xapi/statements", **headers)

    assert response.status_code == 400
    assert response["X-Experience-API-Version"] == "1.0.3"
    lrs.version = "2.0.0"
    lrs.get("statements")
    assert lrs.client.get("/xapi/statements", **headers)["X-Experience-API-Version"] == "2.0.0"


def test_an_unsupported_version_is_a_400():
    lrs = new_lrs()
    lrs.version = "1.1.0"

    assert lrs.get("statements").status_code == 400


def test_about_needs_no_credentials_and_lists_both_versions(client):
    response = client.get("/xapi/about")

    assert response.status_code == 200
    assert response.json()["version"] == ["1.0.3", "2.0.0"]


def alternate_put(lrs, statement_id: str) -> object:
    headers = lrs.headers()
    form = {
        "statementId": statement_id,
        "content": json.dumps(statement()),
        "Authorization": headers["HTTP_AUTHORIZATION"],
        "X-Experience-API-Version": lrs.version,
    }
    return lrs.client.post(
        "/xapi/statements?method=PUT",
        urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )


def test_the_alternate_request_syntax_works_in_1_0_3_and_is_refused_in_2_0():
    lrs = new_lrs()
    lrs.version = "1.0.3"
    assert alternate_put(lrs, new_id()).status_code == 204
    lrs.version = "2.0.0"
    assert alternate_put(lrs, new_id()).status_code == 400
    assert Statement.objects.count() == 1

"""Query counts of the credential list page and API, pinned at two sizes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from credentials.tests.factories import issued

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("size", [1, 4])
def test_credential_list_page_queries_do_not_grow(size, program, learner, director):
    for _ in range(size):
        issued(program=program, learner=learner, by=director)
    client = Client()
    client.force_login(learner)
    client.get("/credentials/")  # warm the session and per-request caches
    # Expect 4 queries: * session * user * the request's program roles
    # * credentials with their institutions * the header's unread count
    assert _count(client, "/credentials/") == 5


@pytest.mark.parametrize("size", [1, 4])
def test_credential_list_api_queries_do_not_grow(size, program, learner, director):
    for _ in range(size):
        issued(program=program, learner=learner, by=director)
    api = APIClient()
    api.force_authenticate(learner)
    # Expect 1 query: * the page of credentials with their institutions
    assert _count(api, "/api/v1/credentials/") == 1

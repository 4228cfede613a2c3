"""Framework pages and API: content, downloads, and a constant number of queries."""

from __future__ import annotations

import pytest

from frameworks import importers
from frameworks.tests.factories import framework_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client


# The same framework shape at two sizes: the query counts must not move.
SIZES = [(1, 2), (6, 8)]


@pytest.mark.parametrize(("domains", "items"), SIZES)
def test_framework_page_runs_a_fixed_number_of_queries(
    signed_in, django_assert_num_queries, domains, items
):
    framework = framework_tree(domains=domains, items=items)

    # 1 session, 2 user, 3 framework + scale, 4 scale levels, 5 competencies + parents,
    # 6 level descriptors, 7 the navigation's program roles (accounts context processor)
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(8):
        response = signed_in.get(f"/frameworks/{framework.code}/1.0/")

    assert response.status_code == 200
    assert response.content.decode().count("<details>") == domains * items


@pytest.mark.parametrize(("domains", "items"), SIZES)
def test_framework_api_detail_runs_a_fixed_number_of_queries(
    signed_in, django_assert_num_queries, domains, items
):
    framework = framework_tree(domains=domains, items=items)

    # 1 session, 2 user, 3 framework + scale, 4 scale levels, 5 competencies + parents,
    # 6 level descriptors
    with django_assert_num_queries(6):
        response = signed_in.get(f"/api/v1/frameworks/{framework.code}/1.0/")

    assert response.status_code == 200
    assert len(response.json()["competencies"]) == domains * (items + 1)


@pytest.mark.parametrize("count", [1, 5])
def test_framework_list_page_runs_a_fixed_number_of_queries(
    signed_in, django_assert_num_queries, count
):
    for _ in range(count):
        framework_tree(domains=2, items=2)

    # 1 session, 2 user, 3 the navigation's program roles (accounts context processor),
    # 4 frameworks with scale and counts
    # + the header's unread count (one COUNT on a partial index)
    with django_assert_num_queries(5):
        response = signed_in.get("/frameworks/")

    assert response.content.decode().count('/1.0/">') == count


@pytest.mark.parametrize("count", [1, 5])
def test_framework_list_api_runs_a_fixed_number_of_queries(
    signed_in, django_assert_num_queries, count
):
    for _ in range(count):
        framework_tree(domains=2, items=2)

    # 1 session, 2 user, 3 count for the pagination, 4 frameworks with scale and counts
    with django_assert_num_queries(4):
        response = signed_in.get("/api/v1/frameworks/")

    assert response.json()["count"] == count


def test_api_detail_marks_ratable_items_and_names_parents(signed_in):
    framework = framework_tree(domains=1, items=2)

    body = signed_in.get(f"/api/v1/frameworks/{framework.code}/1.0/").json()

    assert [(c["code"], c["parent"], c["ratable"]) for c in body["competencies"]] == [
        ("D0", None, False),
        ("D0.0", "D0", True),
        ("D0.1", "D0", True),
    ]
    assert body["scale"]["code"] == "milestone-test"
    assert [d["level"] for d in body["competencies"][1]["descriptors"]] == [
        "1.0",
        "2.0",
        "3.0",
        "4.0",
        "5.0",
    ]


def test_api_list_counts_nodes_and_ratable_items(signed_in):
    framework_tree(domains=2, items=3)
    framework_tree(domains=0, items=0)  # empty: counts are zero, not null

    results = signed_in.get("/api/v1/frameworks/").json()["results"]

    assert sorted((r["competency_count"], r["ratable_count"]) for r in results) == [(0, 0), (8, 6)]


def test_list_page_shows_ratable_items(signed_in):
    framework_tree(domains=2, items=3, name="Six items")

    page = signed_in.get("/frameworks/").content.decode()

    assert "Six items" in page
    assert "<td>6</td>" in page


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_framework_downloads_as_an_importable_file(signed_in, fmt):
    framework = framework_tree(domains=1, items=2, code="small")

    response = signed_in.get(f"/frameworks/small/1.0/download.{fmt}")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="small-1.0.{fmt}"'
    text = response.content.decode()
    data = importers.parse_json(text) if fmt == "json" else importers.parse_csv(text)
    assert (data.code, [c.code for c in data.competencies]) == (
        framework.code,
        ["D0", "D0.0", "D0.1"],
    )


def test_download_in_an_unknown_format_is_not_found(signed_in):
    framework_tree(domains=1, items=1, code="small")

    assert signed_in.get("/frameworks/small/1.0/download.xml").status_code == 404
    assert signed_in.get("/frameworks/small/1.0/download.JSON").status_code == 404


def test_framework_page_links_to_the_downloads(signed_in):
    framework_tree(domains=1, items=1, code="small")

    page = signed_in.get("/frameworks/small/1.0/").content.decode()

    assert 'href="/frameworks/small/1.0/download.json"' in page
    assert 'href="/frameworks/small/1.0/download.csv"' in page

"""The CASE REST API at /ims/case/v1p0/: answers for every shipped framework in the shapes of
the CASE OpenAPI description, public or with a token, and a fixed number of queries."""

from __future__ import annotations

import uuid

import pytest

from accounts.services import api_token_create
from frameworks import identifiers
from frameworks.models import Competency, Framework
from frameworks.services import competency_link_create, frameworks_load_shipped
from frameworks.tests.factories import framework_tree
from frameworks.tests.interop import errors, response_validator

pytestmark = pytest.mark.django_db

BASE = "/ims/case/v1p0/"
SHIPPED = ["acgme-harmonized", "im-milestones", "aamc-core-epas"]


@pytest.fixture
def shipped(db) -> dict[str, Framework]:
    frameworks_load_shipped()
    Framework.objects.update(public=True)
    return {f.code: f for f in Framework.objects.all()}


def test_the_document_list_has_every_public_framework_in_its_openapi_shape(client, shipped):
    response = client.get(f"{BASE}CFDocuments")

    assert response.status_code == 200
    body = response.json()
    assert errors(response_validator("/CFDocuments"), body) == []
    assert {d["identifier"] for d in body["CFDocuments"]} == {str(f.uuid) for f in shipped.values()}


@pytest.mark.parametrize("code", SHIPPED)
def test_every_read_endpoint_answers_for_every_shipped_framework(client, shipped, code):
    framework = shipped[code]
    document = client.get(f"{BASE}CFDocuments/{framework.uuid}")
    package = client.get(f"{BASE}CFPackages/{framework.uuid}")

    assert errors(response_validator("/CFDocuments/{sourcedId}"), document.json()) == []
    assert errors(response_validator("/CFPackages/{sourcedId}"), package.json()) == []
    body = package.json()
    item = body["CFItems"][-1]
    association = body["CFAssociations"][-1]
    rubric = body["CFRubrics"][0]

    got_item = client.get(f"{BASE}CFItems/{item['identifier']}").json()
    got_association = client.get(f"{BASE}CFAssociations/{association['identifier']}").json()
    got_rubric = client.get(f"{BASE}CFRubrics/{rubric['identifier']}").json()

    assert errors(response_validator("/CFItems/{sourcedId}"), got_item) == []
    assert errors(response_validator("/CFAssociations/{sourcedId}"), got_association) == []
    assert errors(response_validator("/CFRubrics/{sourcedId}"), got_rubric) == []
    document_uri = {
        "title": framework.name,
        "identifier": str(framework.uuid),
        "uri": f"http://testserver{BASE}CFDocuments/{framework.uuid}",
    }
    assert got_item == {**item, "CFDocumentURI": document_uri}
    assert got_association == {**association, "CFDocumentURI": document_uri}
    assert got_rubric == rubric


def test_a_link_between_frameworks_is_served_as_an_association(client, shipped):
    epa = Competency.objects.get(framework__code="aamc-core-epas", code="EPA1")
    pc1 = Competency.objects.get(framework__code="im-milestones", code="PC1")
    link, _ = competency_link_create(origin=epa, destination=pc1, kind="isRelatedTo")

    body = client.get(f"{BASE}CFAssociations/{link.uuid}").json()

    assert errors(response_validator("/CFAssociations/{sourcedId}"), body) == []
    assert body["associationType"] == "isRelatedTo"
    assert body["destinationNodeURI"]["identifier"] == str(pc1.uuid)


def test_an_item_kept_across_versions_is_answered_from_the_newest_version(client, shipped):
    old = shipped["acgme-harmonized"]
    new = framework_tree(domains=1, items=1, code="acgme-harmonized", version="3.0", public=True)
    item = new.competencies.get(code="D0.0")
    shared = Competency.objects.filter(framework=old).first()
    assert shared is not None
    Competency.objects.filter(pk=item.pk).update(uuid=shared.uuid)

    body = client.get(f"{BASE}CFItems/{shared.uuid}").json()

    assert body["CFDocumentURI"]["identifier"] == str(new.uuid)


# --- Who sees what ----------------------------------------------------------------------------


@pytest.fixture
def private(db) -> Framework:
    return framework_tree(domains=1, items=2, public=False)


def test_without_credentials_a_private_framework_is_401_as_if_it_might_not_exist(client, private):
    for path in (
        f"CFDocuments/{private.uuid}",
        f"CFPackages/{private.uuid}",
        f"CFItems/{private.competencies.first().uuid}",
        f"CFRubrics/{identifiers.rubric_uuid(private.uuid)}",
        f"CFDocuments/{uuid.uuid4()}",
    ):
        response = client.get(BASE + path)
        assert response.status_code == 401, path
        assert errors(response_validator("/CFDocuments/{sourcedId}", "401"), response.json()) == []
        assert response["WWW-Authenticate"].startswith("Token")
    assert client.get(f"{BASE}CFDocuments").json() == {"CFDocuments": []}


def test_a_token_opens_a_private_framework(client, private, learner):
    _token, key = api_token_create(user=learner, name="CASE reader")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}

    assert client.get(f"{BASE}CFPackages/{private.uuid}", **auth).status_code == 200
    listed = client.get(f"{BASE}CFDocuments", **auth).json()["CFDocuments"]
    assert [d["identifier"] for d in listed] == [str(private.uuid)]
    assert client.get(f"{BASE}CFDocuments/{uuid.uuid4()}", **auth).status_code == 404


def test_a_wrong_token_is_refused_even_for_a_public_framework(client, shipped):
    framework = shipped["im-milestones"]
    response = client.get(
        f"{BASE}CFDocuments/{framework.uuid}", HTTP_AUTHORIZATION="Token not-a-token"
    )

    assert response.status_code == 401


def test_an_identifier_that_is_not_a_uuid_is_400_invaliduuid(client, shipped):
    response = client.get(f"{BASE}CFItems/PC1")

    assert response.status_code == 400
    body = response.json()
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == (
        "invaliduuid"
    )
    assert errors(response_validator("/CFItems/{sourcedId}", "400"), body) == []


def test_only_get_is_answered(client, shipped):
    framework = shipped["im-milestones"]
    assert client.post(f"{BASE}CFDocuments/{framework.uuid}").status_code == 405


@pytest.mark.parametrize("limit", ["0", "x", "-1"])
def test_a_bad_page_size_is_400(client, shipped, limit):
    assert client.get(f"{BASE}CFDocuments", {"limit": limit}).status_code == 400


def test_the_list_pages_with_limit_and_offset(client, shipped):
    first = client.get(f"{BASE}CFDocuments", {"limit": 2}).json()["CFDocuments"]
    rest = client.get(f"{BASE}CFDocuments", {"limit": 2, "offset": 2}).json()["CFDocuments"]

    assert len(first) == 2
    assert len(rest) == 1
    assert {d["identifier"] for d in first + rest} == {str(f.uuid) for f in shipped.values()}


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 6])
def test_the_document_list_runs_a_fixed_number_of_queries(client, django_assert_num_queries, count):
    for _ in range(count):
        framework_tree(domains=1, items=1, public=True)

    # 1 the frameworks with their scales
    with django_assert_num_queries(1):
        response = client.get(f"{BASE}CFDocuments")

    assert len(response.json()["CFDocuments"]) == count


@pytest.mark.parametrize(("domains", "items"), [(1, 2), (6, 8)])
def test_a_package_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, domains, items
):
    framework = framework_tree(domains=domains, items=items, public=True)

    # 1 framework + scale, 2 scale levels, 3 competencies, 4 level descriptors, 5 links
    with django_assert_num_queries(5):
        response = client.get(f"{BASE}CFPackages/{framework.uuid}")

    assert len(response.json()["CFItems"]) == domains * (items + 1)

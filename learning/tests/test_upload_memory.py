"""Uploads that would parse into far more memory than their size are refused while streaming:
a fresh process checking the largest such file stays far below 300 MB, and the refusal says
where in the file the limit was reached."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from learning import catalogue, fhir
from learning.catalogue import CatalogueError, parse_catalogue
from learning.models import LearningResource, UpcomingVisit
from tests.memory import BUDGET_MB, peak_mb, write_repeated

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def _swollen_bundle(path, size: int = 20 * MB) -> None:
    """A bundle of `size` bytes (the upload limit) that is nearly all empty lists: about 30
    times its size once parsed (each 3 bytes of `[],` becomes a list of ~64 bytes)."""
    head = b'{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"x":['
    write_repeated(path, head, b"[],", size, b"[]]}}]}")


def test_checking_a_bundle_of_twenty_mb_of_empty_lists_stays_below_the_budget(tmp_path):
    path = tmp_path / "swollen.json"
    _swollen_bundle(path)
    assert path.stat().st_size >= 19 * MB
    peak, printed = peak_mb(
        f"""
        from learning import fhir
        try:
            fhir.load_json(open({str(path)!r}, "rb").read())
        except fhir.BundleError as exc:
            print(exc.status, exc.detail)
        """
    )
    assert printed.startswith("413 The bundle is too large to read: more than 1,000,000 values")
    assert peak < BUDGET_MB, f"peak {peak} MB"


def test_a_swollen_bundle_is_a_413_naming_where_the_count_ran_out(client, learner, tmp_path):
    path = tmp_path / "swollen.json"
    _swollen_bundle(path, size=4 * MB)
    client.force_login(learner)
    response = client.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        {"bundle": SimpleUploadedFile("swollen.json", path.read_bytes())},
    )
    assert response.status_code == 413
    # Twelve values come before the list's items: the 1,000,001st value is its item 999,988.
    assert "(at $.entry[0].resource.x[999988])" in response.json()["detail"]
    assert UpcomingVisit.objects.count() == 0


def test_a_bundle_nested_deeper_than_any_fhir_resource_is_refused_at_its_place():
    deep = '{"resourceType":"Bundle","entry":[' + "[" * 80 + "]" * 80 + "]}"
    with pytest.raises(fhir.BundleError) as caught:
        fhir.load_json(deep)
    assert caught.value.status == 400
    assert "nested more than 64 levels deep (at $.entry[0]" in caught.value.detail


def test_broken_json_is_still_reported_by_line_and_column():
    with pytest.raises(fhir.BundleError) as caught:
        fhir.load_json('{"resourceType": "Bundle",\n "entry": [}')
    assert "at line 2, column 12" in caught.value.detail


def _swollen_catalogue_json(path, size: int = 5 * MB) -> None:
    write_repeated(path, b"[", b"{},", size, b"{}]")


def _long_catalogue_csv(path, size: int = 5 * MB) -> None:
    """5 MB of rows of two cells: 1.7 million rows, each a dict and a row of problems."""
    write_repeated(path, b"key,title\n", b"a,\n", size, b"")


@pytest.mark.parametrize("name", ["swollen.json", "long.csv"])
def test_checking_a_five_mb_catalogue_stays_below_the_budget(tmp_path, name):
    path = tmp_path / name
    (_swollen_catalogue_json if name.endswith(".json") else _long_catalogue_csv)(path)
    peak, printed = peak_mb(
        f"""
        from learning.catalogue import CatalogueError, parse_catalogue
        try:
            parse_catalogue(open({str(path)!r}, "rb").read(), filename={name!r})
        except CatalogueError as exc:
            print(exc.errors[0])
        """
    )
    assert "more than" in printed
    assert peak < BUDGET_MB, f"peak {peak} MB"


def test_a_catalogue_with_too_many_values_names_where_the_count_ran_out(tmp_path):
    content = json.dumps([{}] * (catalogue.MAX_JSON_VALUES + 1)).encode()
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(content, filename="c.json")
    assert str(caught.value.errors[0]) == (
        f"$[{catalogue.MAX_JSON_VALUES - 1}], field '-': too large: more than 500,000 values"
    )


def test_a_catalogue_csv_with_too_many_rows_names_the_first_line_over(client, admin_user):
    content = b"key,title\n" + b"a,t\n" * (catalogue.MAX_ROWS + 5)
    client.force_login(admin_user)
    response = client.post(
        "/admin/learning/learningresource/import/",
        {"file": SimpleUploadedFile("c.csv", content)},
    )
    assert response.status_code == 200
    assert f"line {catalogue.MAX_ROWS + 2}, field &#x27;-&#x27;: more than 20,000 rows" in (
        response.content.decode()
    )
    assert LearningResource.objects.count() == 0


def test_a_catalogue_of_bad_rows_lists_the_first_problems_and_counts_the_rest():
    content = b"key,title\n" + b"a,\n" * 300
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(content, filename="c.csv")
    errors = [str(e) for e in caught.value.errors]
    assert len(errors) == catalogue.MAX_ERRORS + 1
    assert errors[0].startswith("line 2, field 'title'")
    assert errors[-1].startswith("file, field '-': ")
    assert errors[-1].endswith("more problems not listed")


def test_a_json_body_past_the_request_limit_is_a_413_not_a_500(client, learner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(learner)
    response = client.post(
        "/api/v1/learning/visits/bundle/?practitioner=pr-learner",
        json.dumps({"resourceType": "Bundle", "entry": [{}] * 1000}),
        content_type="application/fhir+json",
    )
    assert response.status_code == 413
    assert "send a large document as a file upload" in response.json()["detail"]

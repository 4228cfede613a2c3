"""The API's JSON renderer writes what DRF's own would, byte for byte, only faster."""

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from core.renderers import FastJSONRenderer

DOCUMENTS = [
    {"ratio": 1.25, "values": [None, 2.5, 3.0, 4.125], "n": [0, 1, 2], "flags": {}},
    {"name": "Zoë Ødegaard — PGY-2", "note": 'quotes " and \\ and \n newline', "ok": True},
    {"level": Decimal("3.5"), "mean": Decimal("2.33")},
    {"on": dt.date(2026, 1, 5), "at": dt.datetime(2026, 1, 5, 9, 30, 1, 123456, tzinfo=dt.UTC)},
    {"naive": dt.datetime(2026, 1, 5, 9, 30), "time": dt.time(9, 30)},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "label": gettext_lazy("Yes")},
    [{"nested": [[1, 2], {"deep": [None]}]}, "text", 12345678901234, -0.5],
    {"detail": "Invalid input.", "scopes": {0: [ErrorDetail("Not a choice.", code="invalid")]}},
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_bytes_equal_drfs_renderer(document):
    assert FastJSONRenderer().render(document) == JSONRenderer().render(document)


def test_small_floats_are_the_same_numbers_written_without_an_exponent():
    document = {"p": [1.5e-05, 1e-07, 0.30000000000000004, 1e16]}
    fast = FastJSONRenderer().render(document)
    assert fast == b'{"p":[0.000015,1e-7,0.30000000000000004,1e+16]}'
    assert json.loads(fast) == json.loads(JSONRenderer().render(document))


def test_nothing_renders_as_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


def test_indented_output_for_people_is_drfs():
    context = {"indent": 2}
    document = {"a": [1, 2]}
    assert FastJSONRenderer().render(document, "application/json", context) == (
        JSONRenderer().render(document, "application/json", context)
    )


def test_what_json_cannot_hold_is_refused():
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"bad": object()})

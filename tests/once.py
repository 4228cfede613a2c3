"""The replay check every create form's test makes (core.once): the page renders a one-time
token; posting the form twice with it creates one thing, and the second post lands on what the
first created, saying so."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.test import Client

from core.once import FIELD


def token_of(html: str) -> str:
    found = re.findall(rf'name="{FIELD}" value="([0-9a-f-]{{36}})"', html)
    assert found, "the page renders no one-time token"
    return found[0]


def assert_created_once(
    client: Client,
    url: str,
    data: dict[str, Any],
    count: Callable[[], int],
    noun: str,
    *,
    page: str | None = None,
    fresh_creates: bool = True,
) -> str:
    """Post `data` to `url` twice with one token taken from `page` (default `url`); return
    where both posts led."""
    html = client.get(page or url).content.decode()
    token = token_of(html)
    assert token != token_of(client.get(page or url).content.decode()), "a token per render"
    before = count()
    first = client.post(url, {**data, FIELD: token})
    assert first.status_code == 302, first.content.decode()[:2000]
    assert count() == before + 1
    again = client.post(url, {**data, FIELD: token})
    assert count() == before + 1
    assert again.status_code == 302 and again["Location"] == first["Location"]
    shown = client.get(again["Location"]).content.decode()
    assert f"Already saved — this is the {noun} you created." in shown
    if fresh_creates:
        # A fresh token is a fresh submission: the form still creates on purpose.
        client.post(url, {**data, FIELD: str(uuid.uuid4())})
        assert count() == before + 2
    return str(first["Location"])

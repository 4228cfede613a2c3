"""URLs of many objects of one kind, worked out once per list rather than once per object."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

# An id no object has, to find where ids go in a URL.
_ID_STAND_IN = 987654321


def url_by_id(name: str) -> Callable[[int], str]:
    """The URL `reverse(name, args=[pk])` gives, for any `pk`: reversed once, with a stand-in
    id (a `reverse` per item cost a tenth of a 25-item list's time)."""
    before, after = reverse(name, args=[_ID_STAND_IN]).split(str(_ID_STAND_IN))
    return lambda pk: f"{before}{pk}{after}"

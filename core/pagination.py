"""Pages of a list whose rows and count were read already (beside a page's other reads, in one
round trip), numbered as Django's `Paginator.get_page` numbers them, so templates and links
stay those of any paginated list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator


def counted_paginator(total: int, size: int) -> Paginator[int]:
    """A paginator of `total` items: only their number is read from it (`range` has it
    without holding them)."""
    return Paginator(range(total), size)


# Beyond any list's last page, and small enough that its rows' offset fits the databases'
# 64-bit integers (a page asked for as 10^20 must not reach the database as such).
_FURTHEST_PAGE = 1_000_000_000


def requested_page(asked: str | None) -> int:
    """The page to read first for `?page=`: the number asked for if it is a whole number of
    at least one (at most `_FURTHEST_PAGE`), else the first. `page_number` corrects it once
    the count is known."""
    try:
        number = int(asked or "1")
    except ValueError:
        return 1
    return min(max(number, 1), _FURTHEST_PAGE)


def page_number(asked: str | None, total: int, size: int) -> int:
    """The page `Paginator.get_page` gives for `?page=` among `total` items (the last for a
    number past the end or below one, the first for anything else that is not a number)."""
    return counted_paginator(total, size).get_page(asked).number


def page_of(rows: Sequence[Any], number: int, total: int, size: int) -> Page[Any]:
    """Page `number` of `total` items, holding `rows`."""
    return Page(rows, number, counted_paginator(total, size))

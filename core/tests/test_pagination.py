"""Pages of a list read beside a page's other statements: numbered as `Paginator.get_page`
numbers pages of a queryset."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from core.pagination import page_number, page_of, requested_page

ASKED = [None, "", "1", "2", "3", "4", "0", "-3", "abc", "1.5", "2.0", " 2", "999", "1" + "0" * 20]


@pytest.mark.parametrize("total", [0, 1, 25, 26, 60])
@pytest.mark.parametrize("asked", ASKED)
def test_the_page_shown_is_the_one_django_would_show(asked, total):
    assert page_number(asked, total, 25) == Paginator(range(total), 25).get_page(asked).number


@pytest.mark.parametrize("asked", ASKED)
def test_the_first_read_is_of_a_page_whose_offset_the_database_takes(asked):
    assert requested_page(asked) >= 1
    assert (requested_page(asked) - 1) * 1000 < 2**63


def test_a_page_of_rows_read_already_answers_as_a_page_of_the_list():
    page = page_of(["x", "y"], 3, 52, 25)
    items = Paginator(list(range(52)), 25).page(3)
    assert list(page) == ["x", "y"]
    assert (page.number, page.paginator.num_pages, page.paginator.count) == (3, 3, 52)
    assert (page.has_previous(), page.has_next()) == (items.has_previous(), items.has_next())
    assert (page.start_index(), page.end_index()) == (items.start_index(), items.end_index())

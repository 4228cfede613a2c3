"""Pages we do not write keep working under the Content Security Policy: the API's Swagger UI
and the Django admin. (The `page` fixture fails a test on any violation.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_draw_every_operation_under_the_policy(page: Page):
    page.goto("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    page.locator(".opblock-summary").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()


def test_an_administrator_browses_lists_and_forms_in_the_admin_under_the_policy(
    page: Page, login_as, admin_user
):
    login_as(page, admin_user)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_be_visible()
    page.locator("#action-toggle").check()
    page.goto(f"/admin/accounts/user/{admin_user.pk}/change/")
    expect(page.locator("#user_form, form").first).to_be_visible()
    page.goto("/admin/programs/program/add/")
    expect(page.locator("form").first).to_be_visible()

"""The site header's and portfolio menu's links, reversed once per script prefix."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse, set_script_prefix

from notifications.models import Notification
from notifications.services import notification_send
from programs.context_processors import (
    _SECTION_OF_URL,
    NAV_URL_NAMES,
    PROGRAM_TAB_URL_NAMES,
    nav_section,
    nav_urls,
    tab_urls,
)
from programs.models import ProgramRole
from tests.factories import EnrollmentFactory, ProgramRoleFactory, UserFactory


def _is_roles_read(sql):
    """The navigation's statement: the distinct roles a person holds."""
    return "SELECT DISTINCT role FROM" in sql and ProgramRole._meta.db_table in sql


def _is_unread_read(sql):
    """The header's statement: how many of the person's notifications are unread."""
    return "count(*)" in sql.lower() and Notification._meta.db_table in sql


def _header_read_once(queries, html, unread):
    """Roles and the unread count each read once, and the header shows what was read."""
    assert f'href="{reverse("program-list")}"' in html
    assert f'data-unread-count="{unread}"' in html
    statements = [q["sql"] for q in queries.captured_queries]
    assert len([sql for sql in statements if _is_roles_read(sql)]) == 1
    assert len([sql for sql in statements if _is_unread_read(sql)]) == 1


def test_each_navigation_link_is_its_named_url():
    assert nav_urls("/") == {key: reverse(name) for key, name in NAV_URL_NAMES.items()}


def test_each_program_tab_links_its_named_url_for_that_program():
    for program_id in (1, 31):
        urls = tab_urls(program_id)
        assert urls["equity"] == f"{reverse('equity-view')}?scope=program:{program_id}"
        del urls["equity"]
        assert urls == {
            tab: reverse(name, args=[program_id]) for tab, name in PROGRAM_TAB_URL_NAMES.items()
        }


def test_navigation_links_follow_the_script_prefix_they_are_served_under():
    try:
        set_script_prefix("/continuum/")
        under_prefix = nav_urls("/continuum/")
    finally:
        set_script_prefix("/")
    assert under_prefix["home"] == "/continuum/"
    assert under_prefix["progress"] == "/continuum" + reverse("progress")
    assert nav_urls("/")["home"] == "/"


@pytest.mark.django_db
def test_pages_link_the_header_and_portfolio_menu(client):
    client.force_login(UserFactory())
    page = client.get(reverse("progress")).content.decode()
    for key in ("home", "progress", "goals", "coaching", "learning", "frameworks", "api_docs"):
        assert f'href="{reverse(NAV_URL_NAMES[key])}"' in page
    assert f'action="{reverse("account_logout")}"' in page


@pytest.mark.django_db
def test_signed_out_pages_link_log_in_and_sign_up(client):
    page = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("account_signup")}"' in page
    assert f'href="{reverse("framework-list")}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["home", "progress"])
def test_the_learner_pages_read_the_navigation_roles_once_with_the_dashboard(client, page):
    # A resident who also directs a program: the header shows Programs, from roles read in
    # the dashboard's round trip, and nothing reads them a second time.
    # The unread count in the header travels in the same round trip.
    resident = UserFactory()
    EnrollmentFactory(learner=resident)
    ProgramRoleFactory(user=resident, role="director")
    for n in range(2):
        notification_send(recipient=resident, kind="comment", title=f"Note {n}")
    client.force_login(resident)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse(page)).content.decode()
    _header_read_once(queries, html, unread=2)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["program-heatmap", "program-flags", "program-distributions"])
def test_committee_pages_read_the_navigation_roles_once_with_their_program(client, page):
    director = UserFactory()
    program = ProgramRoleFactory(user=director, role="director").program
    notification_send(recipient=director, kind="comment", title="A note")
    client.force_login(director)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse(page, args=[program.pk])).content.decode()
    _header_read_once(queries, html, unread=1)


def test_every_page_named_for_a_navigation_entry_exists():
    names = {key for key in get_resolver().reverse_dict if isinstance(key, str)}
    assert set(_SECTION_OF_URL) <= names
    assert nav_section("goal-edit") == "goals"
    assert nav_section("program-heatmap") == "programs"
    assert nav_section("coaching-inbox") == "inbox"  # not also "coaching"
    assert nav_section("account_login") == nav_section(None) == ""


def _current_entries(html: str) -> list[str]:
    return re.findall(r'aria-current="page">([^<]+)</a>', html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "current"),
    [
        ("home", ["My portfolio", "Home"]),
        ("progress-monthly", ["Progress"]),
        ("goal-create", ["Goals"]),
        ("coaching-inbox", ["Inbox"]),
        ("learning-recommendations", ["Learning", "For me"]),
        ("assessments-received", ["Observations", "Received"]),
    ],
)
def test_the_header_and_menu_mark_the_entry_of_the_page_shown(client, page, current):
    client.force_login(UserFactory())
    assert _current_entries(client.get(reverse(page)).content.decode()) == current


@pytest.mark.django_db
def test_the_header_shows_each_persons_own_name_and_unread_count(client):
    """The header is rendered once per set of values it shows (`core.fragments`): another
    person, or a new notification, gets a header of their own."""
    ada, grace = UserFactory(display_name="Ada Lovelace"), UserFactory(display_name="Grace Hopper")
    client.force_login(ada)
    before = client.get(reverse("progress")).content.decode()
    notification_send(recipient=ada, kind="comment", title="A note")
    after = client.get(reverse("progress")).content.decode()
    client.force_login(grace)
    theirs = client.get(reverse("progress")).content.decode()

    assert "<summary>Ada Lovelace</summary>" in before and "data-unread-count" not in before
    assert 'data-unread-count="1"' in after
    assert "<summary>Grace Hopper</summary>" in theirs and "Ada" not in theirs
    assert "data-unread-count" not in theirs


@pytest.mark.django_db
def test_a_program_page_links_every_tab_of_its_program_and_marks_its_own(client):
    director = UserFactory()
    program = ProgramRoleFactory(user=director, role="director").program
    client.force_login(director)
    html = client.get(reverse("program-heatmap", args=[program.pk])).content.decode()
    tabs = html.split('<nav class="tabs"', 1)[1].split("</nav>", 1)[0]
    for name in PROGRAM_TAB_URL_NAMES.values():
        assert f'href="{reverse(name, args=[program.pk])}"' in tabs
    assert f'href="{reverse("equity-view")}?scope=program:{program.pk}"' in tabs
    assert _current_entries(tabs) == ["Heatmap"]


@pytest.mark.django_db
def test_a_page_rendered_without_a_request_shows_the_header_without_a_count():
    """As before the header was remembered: a context without the unread counter (a page
    rendered outside a request) shows the person's name and no count, rather than failing."""
    html = render_to_string("base.html", {"user": UserFactory(display_name="Ada Lovelace")})
    assert "<summary>Ada Lovelace</summary>" in html and "data-unread-count" not in html

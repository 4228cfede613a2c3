"""Every URL pattern × every role → the expected status. A pattern without a row fails."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.authz import ROLES, Row, World

# Every app of this project (a package at the top of the repository) may list rows.
APPS = tuple(
    config.name
    for config in apps.get_app_configs()
    if Path(config.path).resolve().parent == Path(settings.BASE_DIR).resolve()
)

# URL namespaces and names that belong to third-party packages with their own tests. The
# entry points we rely on (login, signup, MFA, admin index) have rows in accounts' table.
THIRD_PARTY_PREFIXES = ("admin:", "account_", "mfa_", "socialaccount_", "headless:")
THIRD_PARTY_COVERED_BY_ROWS = ("account_login", "account_signup", "mfa_index", "admin:index")


def _rows() -> list[Row]:
    rows: list[Row] = []
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.tests.authz_rows")
        except ModuleNotFoundError:
            continue
        rows.extend(module.ROWS)
    from tests import authz_rows as project_rows

    rows.extend(project_rows.ROWS)
    return rows


def _pattern_names(patterns: list[URLPattern | URLResolver], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _pattern_names(entry.url_patterns, inner)
        elif entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


ROWS = _rows()


def test_every_named_url_pattern_has_a_row():
    covered = {row.name for row in ROWS}
    ours = {
        name
        for name in _pattern_names(get_resolver().url_patterns)
        if not name.startswith(THIRD_PARTY_PREFIXES)
    }
    missing = sorted(ours - covered)
    assert not missing, f"URL patterns missing from the authorization matrix: {missing}"
    for name in THIRD_PARTY_COVERED_BY_ROWS:
        assert name in covered


def test_every_url_pattern_is_named():
    def unnamed(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in ("admin",) or "allauth" in str(entry.urlconf_name):
                    continue
                yield from unnamed(entry.url_patterns, prefix + str(entry.pattern))
            elif not entry.name:
                yield prefix + str(entry.pattern)

    assert list(unnamed(get_resolver().url_patterns)) == []


@pytest.fixture
def world(
    program,
    other_program,
    learner,
    other_learner,
    coach,
    director,
    other_director,
    admin_user,
    assessor,
):
    return World(
        program=program,
        other_program=other_program,
        learner=learner,
        other_learner=other_learner,
        coach=coach,
        director=director,
        other_director=other_director,
        admin=admin_user,
        assessor=assessor,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method}-{r.name}" for r in ROWS])
def test_authorization(row: Row, role: str, world: World, client):
    person = world.person(role)
    if person is not None:
        client.force_login(person)
    path = row.path(world)
    kwargs = {}
    if row.data is not None:
        payload = row.data(world)
        if row.content_type == "application/json":
            kwargs = {"data": json.dumps(payload), "content_type": "application/json"}
        else:
            kwargs = {"data": payload}
    response = getattr(client, row.method.lower())(path, **kwargs, **row.extra)
    assert response.status_code == row.expect[role], (
        f"{row.method} {path} as {role}: got {response.status_code}, expected {row.expect[role]}"
    )

"""Reads from a PostgreSQL streaming replica, for the pages that ask for it.

A deployment that sets `REPLICA_DATABASE_URL` has a second database alias, `replica`. Nothing
reads from it unless a view opts in with `reading_from_replica()` (the committee's heatmap,
reports and the institution overview: large reads that a few seconds of lag does not harm).
Everything else, every write and every migration stays on the primary (`default`).

Read-your-writes: a replica lags the primary by a moment, so someone who has just saved
something could open an opted-in page and not see it. `PrimaryAfterWriteMiddleware` marks a
browser that made a successful non-safe request with a signed cookie; for
`REPLICA_READ_YOUR_WRITES_SECONDS` after it, their opted-in pages read the primary too. A read
inside a transaction on the primary stays there as well: it may depend on what the transaction
wrote.

Without a replica the router is not installed and the middleware passes requests through:
behaviour and query counts are what they were with one database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
WROTE_COOKIE = "continuum_wrote"
_SALT = "core.replica.wrote"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_opted_in: ContextVar[bool] = ContextVar("continuum_replica_opted_in", default=False)
_pinned: ContextVar[bool] = ContextVar("continuum_primary_pinned", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside may go to the replica (a context manager, or a decorator of a view)."""
    token = _opted_in.set(True)
    try:
        yield
    finally:
        _opted_in.reset(token)


@contextmanager
def reading_from_primary() -> Iterator[None]:
    """Reads inside go to the primary even where a page opted in (read-your-writes)."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def read_alias() -> str:
    """The alias a read goes to now: the replica only when configured, opted in, not pinned
    to the primary and not inside a transaction on the primary."""
    if (
        _opted_in.get()
        and not _pinned.get()
        and replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when a replica is configured."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # both aliases hold the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class PrimaryAfterWriteMiddleware:
    """Read-your-writes: a browser's requests read the primary for a short window after it
    wrote. The mark is a signed cookie holding nothing but its own age, so any web node can
    check it without a shared store."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        window = settings.REPLICA_READ_YOUR_WRITES_SECONDS
        wrote = request.get_signed_cookie(WROTE_COOKIE, default=None, salt=_SALT, max_age=window)
        token = _pinned.set(wrote is not None)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        # A refused request (4xx, 5xx) rolled back or wrote nothing: no window for it.
        if request.method not in _SAFE_METHODS and response.status_code < 400:
            response.set_signed_cookie(
                WROTE_COOKIE,
                "1",
                salt=_SALT,
                max_age=window,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

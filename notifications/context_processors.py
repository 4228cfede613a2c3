"""The header's unread count, read at most once per request and only if a page shows it."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from accounts.models import User
from notifications.selectors import unread_count


class UnreadCount:
    """Counts on first use: a page that never renders the header (a JSON error, a redirect
    template) pays nothing, and a header that shows the number twice pays one query. A page
    that read the number beside its own statements hands it over (`known`) and the header
    reads nothing."""

    def __init__(self, user: User) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        if not self._user.is_authenticated:
            return 0
        return unread_count(user=self._user)

    def known(self, count: int) -> None:
        self.count = count


def unread_of(request: HttpRequest) -> UnreadCount:
    """The request's one counter, made on first ask."""
    counter = getattr(request, "_unread_count", None)
    if counter is None:
        counter = UnreadCount(request.user)  # type: ignore[arg-type]
        request._unread_count = counter  # type: ignore[attr-defined]
    return counter


def unread(request: HttpRequest) -> dict[str, object]:
    return {"nav_unread": unread_of(request)}

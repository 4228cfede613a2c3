"""The header's unread count, read at most once per request and only if a page shows it."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from accounts.models import User
from notifications.selectors import unread_count


class UnreadCount:
    """Counts on first use: a page that never renders the header (a JSON error, a redirect
    template) pays nothing, and a header that shows the number twice pays one query."""

    def __init__(self, user: User) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        if not self._user.is_authenticated:
            return 0
        return unread_count(user=self._user)


def unread(request: HttpRequest) -> dict[str, object]:
    return {"nav_unread": UnreadCount(request.user)}  # type: ignore[arg-type]

"""API-wide error shape (JSON with `detail` and, for validation, field errors) and pagination.

Pagination never lets a query parameter reach the database unbounded: a page size above the
maximum is clamped to it, an offset above MAX_OFFSET is clamped to that, and a negative or
non-numeric size or offset means the default (DRF's own rule for what it cannot read). A cursor
whose position does not fit the ordering column answers 404 "Invalid cursor", as DRF does for a
cursor it cannot decode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

MAX_PAGE_SIZE = 200
# Far past any list the project holds; below what a 64-bit OFFSET overflows at.
MAX_OFFSET = 1_000_000_000


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn service-layer Django ValidationErrors into 400s shaped like DRF's own.

    Every error body is an object whose `detail` is one string (the schema's Error shape): a
    list of messages, raised bare or under `detail` by a service, is joined into one.
    """
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(response.data, list):
        response.data = {"detail": _joined(response.data)}
    elif isinstance(response.data, dict) and isinstance(response.data.get("detail"), list):
        response.data = {**response.data, "detail": _joined(response.data["detail"])}
    elif (
        response.status_code == status.HTTP_400_BAD_REQUEST
        and isinstance(response.data, dict)
        and "detail" not in response.data
    ):
        response.data = {"detail": "Invalid input.", **response.data}
    return response


def _joined(messages: list[Any]) -> str:
    return " ".join(str(message) for message in messages)


class Cursor(CursorPagination):
    """Cursor pages whose size is bounded and whose position is checked before the query."""

    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError):
            # The position came from the client: `id > 'abc'` fails while the filter is built.
            raise NotFound(self.invalid_cursor_message) from None

    def starts(self, request: Request) -> bool:
        """Whether `request` asks for the first page (it carries no cursor)."""
        return self.cursor_query_param not in request.query_params

    def first_page_size(self, request: Request) -> int:
        """How many items the first page holds (`?page_size=`, bounded, or the default)."""
        size = self.get_page_size(request) or self.page_size
        if not size:
            raise ImproperlyConfigured("A cursor paginator needs a page size.")
        return size

    def first_page(self, rows: Sequence[Any], request: Request) -> list[Any]:
        """What `paginate_queryset` answers for a request that `starts`, from rows the caller
        read itself: the first `first_page_size(request) + 1` in `ordering` (the one past
        the page tells whether a next page exists and where it starts). A list reads its
        first page itself to send the statement with the page's others in one round trip,
        compiled once (`core.db.CompiledQuery`): the first page is the one nearly every
        request asks for. The state left is `paginate_queryset`'s for a view without an
        ordering filter (none has one), so the links are DRF's own; a test holds the two
        paths equal."""
        size = self.first_page_size(request)
        self.request = request
        self.page_size = size
        self.base_url = request.build_absolute_uri()
        self.ordering = tuple(self.ordering)
        self.cursor = None
        self.page = list(rows[:size])
        self.has_previous = False
        self.has_next = len(rows) > size
        if self.has_next:
            self.next_position = self._get_position_from_instance(rows[size], self.ordering)
        return self.page


class LimitOffset(LimitOffsetPagination):
    """Limit/offset pages: `limit` is clamped to `max_limit`, `offset` to MAX_OFFSET."""

    default_limit = 50
    max_limit = MAX_PAGE_SIZE

    def get_offset(self, request: Request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)


def cursor(ordering: tuple[str, ...], page_size: int = 50) -> type[Cursor]:
    """A cursor paginator over `ordering`: histories stay stable while rows are added."""
    return type(
        "Cursor",
        (Cursor,),
        {
            "ordering": ordering,
            "page_size": page_size,
            "page_size_query_param": "page_size",
        },
    )


def created_response(data: Any, *, created: bool) -> Response:
    """An idempotent create's answer: 201 the first time, 200 with the same object when the
    request's client token was sent before (a retry, a double tap)."""
    return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


# Every zone's offset has been whole minutes since Liberia's change in January 1972.
_WHOLE_MINUTE_OFFSETS_SINCE = 1973


def moment_writer() -> Callable[[dt.datetime | None], str | None]:
    """Writes stored (aware) dates and times as DRF's `DateTimeField` does — ISO 8601 in the
    current time zone, any zero offset as `Z`, None as None — for rows built as plain dicts.
    The field looks up the zone and checks the value on every call, and `isoformat` of an
    aware moment asks its zone for the offset again: for a 50-item page's hundred moments
    that was a third of the page's Python. Here the zone is read once per response and
    orjson writes the text (its RFC 3339 is `isoformat`'s, `Z` for a zero offset with
    `OPT_UTC_Z`). A test holds the two equal."""
    zone = timezone.get_current_timezone()

    def write(value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        local = value if value.tzinfo is zone else value.astimezone(zone)
        if local.year < _WHOLE_MINUTE_OFFSETS_SINCE:
            # A zone's early local mean time can be off UTC by seconds, which orjson drops.
            text = local.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return orjson.dumps(local, option=orjson.OPT_UTC_Z)[1:-1].decode()

    return write

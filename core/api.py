"""API-wide error shape: JSON with `detail` and, for validation, field errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn service-layer Django ValidationErrors into 400s shaped like DRF's own."""
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if (
        response is not None
        and response.status_code == status.HTTP_400_BAD_REQUEST
        and isinstance(response.data, dict)
        and "detail" not in response.data
    ):
        response.data = {"detail": "Invalid input.", **response.data}
    if response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    return response


def cursor(ordering: tuple[str, ...], page_size: int = 50) -> type[CursorPagination]:
    """A cursor paginator over `ordering`: histories stay stable while rows are added."""
    return type(
        "Cursor",
        (CursorPagination,),
        {
            "ordering": ordering,
            "page_size": page_size,
            "max_page_size": 200,
            "page_size_query_param": "page_size",
        },
    )

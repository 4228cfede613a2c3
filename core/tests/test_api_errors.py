"""The API's error shape: an object whose `detail` is one string, plus field errors on a 400."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError

from core.api import exception_handler


def test_a_service_error_without_fields_is_one_detail_string():
    response = exception_handler(DjangoValidationError(["Incomplete.", "Try later."]), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"detail": "Incomplete. Try later."}


def test_a_service_error_with_fields_keeps_them_under_a_summary():
    response = exception_handler(DjangoValidationError({"cohort": "No such cohort."}), {})
    assert response is not None
    assert response.data == {"detail": "Invalid input.", "cohort": ["No such cohort."]}


def test_a_bare_list_of_messages_becomes_one_detail_string():
    response = exception_handler(ValidationError(["Not a bundle."]), {})
    assert response is not None
    assert response.data == {"detail": "Not a bundle."}


def test_other_errors_keep_their_detail():
    response = exception_handler(NotFound(), {})
    assert response is not None
    assert response.status_code == 404
    assert response.data == {"detail": "Not found."}

"""Refuse NUL characters in request input before any view sees them.

PostgreSQL cannot store or compare text holding U+0000, so a NUL in a query parameter or a
field reaches the database as an error (a 500). No legitimate input contains one: the request
is answered 400 here, once, instead of every view checking its own parameters. API and xAPI
paths get a JSON error; pages get a plain 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict

# Paths whose clients read JSON errors: the REST API and the xAPI learning record store.
API_PREFIXES = ("/api/", "/xapi/")
MESSAGE = "Request input must not contain NUL (\\u0000) characters."
# A JSON string escape \u0000 that is not itself an escaped backslash followed by "u0000".
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(data: MultiValueDict[str, str]) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


def has_nul(request: HttpRequest) -> bool:
    """Whether the query string, a form field or a JSON body holds a NUL character."""
    if "\x00" in request.path or _has_nul(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        try:
            return _has_nul(request.POST)
        except MultiPartParserError:
            return False  # the view's own parsing reports a broken body
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        return b"\x00" in body or JSON_NUL.search(body) is not None
    return False


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            nul = has_nul(request)
        except RequestDataTooBig:
            # A JSON body is read whole here; past Django's limit the request is refused as
            # too large (a file upload is not held in memory and has limits of its own).
            return _too_large(request)
        if nul:
            if request.path.startswith(API_PREFIXES):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    message = (
        f"The request body is larger than {limit // (1024 * 1024)} MB; "
        "send a large document as a file upload (multipart/form-data)."
    )
    if request.path.startswith(API_PREFIXES):
        return JsonResponse({"detail": message}, status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")

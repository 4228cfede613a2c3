"""The xAPI request: Basic authentication, version negotiation, the alternate request syntax.

Every xAPI view is wrapped by `xapi_view`, which turns the Django request into an
`XapiRequest` (headers, parameters and body, wherever the alternate syntax put them) and an
`XapiError` into the JSON 4xx the specification asks for.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from xapi.models import LrsClient
from xapi.validation import XapiError, parse_json

VERSION_1 = "1.0.3"
VERSION_2 = "2.0.0"
SUPPORTED_VERSIONS = ["1.0.3", VERSION_2]
VERSION_HEADER = "X-Experience-API-Version"
ACCEPTED_VERSION = re.compile(r"^(1\.0(\.[0-3])?|2\.0(\.0)?)$")
# Headers the alternate request syntax may carry as form fields (Communication 1.3).
FORM_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}


@dataclass
class XapiRequest:
    method: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    client: LrsClient
    version: str
    django: HttpRequest

    @property
    def v2(self) -> bool:
        return self.version.startswith("2.")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json_body(self) -> Any:
        return parse_json(self.body)


def json_response(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode("utf-8"), status=status, content_type="application/json")


def error_response(error: XapiError) -> HttpResponse:
    response = json_response({"detail": error.message}, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="xAPI"'
    return response


def authenticate(authorization: str | None) -> LrsClient:
    if not authorization or not authorization.lower().startswith("basic "):
        raise XapiError("HTTP Basic credentials are required.", status=401)
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise XapiError("The Basic credentials are malformed.", status=401) from error
    key, _, secret = decoded.partition(":")
    client = LrsClient.objects.active().filter(key=key).first()
    if client is None or not client.secret_matches(secret):
        raise XapiError("Unknown key or wrong secret.", status=401)
    now = timezone.now()
    # One write a minute at most: a busy client must not turn every read into a write.
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() > 60:
        LrsClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client


def request_headers(request: HttpRequest) -> dict[str, str]:
    headers = {name.lower(): value for name, value in request.headers.items()}
    return headers


def alternate_syntax(
    request: HttpRequest, headers: dict[str, str]
) -> tuple[str, dict[str, str], bytes]:
    """Unpack a POST carrying another method in `?method=` (xAPI 1.0.3 only)."""
    if request.method != "POST":
        raise XapiError("The alternate request syntax must be sent as a POST.")
    if set(request.GET) != {"method"}:
        raise XapiError("The alternate request syntax takes only 'method' in the query string.")
    method = request.GET["method"].upper()
    if method not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
        raise XapiError("Unknown method in the alternate request syntax.")
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise XapiError("The alternate request syntax needs a form-encoded body.")
    try:
        form = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as error:
        raise XapiError("The form body is not UTF-8.") from error
    params: dict[str, str] = {}
    body = b""
    new_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-length")}
    for name, value in form:
        lowered = name.lower()
        if lowered in FORM_HEADERS:
            new_headers[lowered] = value
        elif name == "content":
            body = value.encode("utf-8")
        else:
            params[name] = value
    if method in ("PUT", "POST") and "content" not in dict(form):
        raise XapiError("The alternate request syntax carries content in a 'content' field.")
    # Statements sent this way are JSON unless the form says otherwise.
    new_headers.setdefault("content-type", "application/json")
    headers.clear()
    headers.update(new_headers)
    return method, params, body


def read_raw(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig as error:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise XapiError(
            f"The request is larger than this LRS takes ({limit} bytes).", 413
        ) from error
    except RawPostDataException as error:
        # A middleware parsed a multipart/form-data body, which no xAPI resource takes.
        raise XapiError("This content type is not accepted here.") from error


def query_params(request: HttpRequest) -> dict[str, str]:
    params: dict[str, str] = {}
    for name in request.GET:
        values = request.GET.getlist(name)
        if len(values) > 1:
            raise XapiError(f"Parameter '{name}' is given more than once.")
        params[name] = values[0]
    return params


View = Callable[[XapiRequest], HttpResponse]


def negotiate(
    request: HttpRequest, *, methods: set[str], version_required: bool, answer: list[str]
) -> XapiRequest:
    """Read an xAPI request; `answer[0]` becomes the version the response declares."""
    headers = request_headers(request)
    alternate = "method" in request.GET
    if alternate:
        method, params, body = alternate_syntax(request, headers)
    else:
        method, params, body = request.method or "GET", query_params(request), read_raw(request)
    raw_version = headers.get("x-experience-api-version")
    valid = raw_version is not None and bool(ACCEPTED_VERSION.match(raw_version.strip()))
    if valid and raw_version is not None:
        answer[0] = VERSION_2 if raw_version.strip().startswith("2.") else VERSION_1
    client = None
    if version_required:
        client = authenticate(headers.get("authorization"))
        if not valid:
            # Without a version to go by, answer in the one this client last spoke.
            answer[0] = client.xapi_version
        elif client.xapi_version != answer[0]:
            client.xapi_version = answer[0]
            LrsClient.objects.filter(pk=client.pk).update(xapi_version=answer[0])
    if raw_version is None and version_required:
        raise XapiError("The X-Experience-API-Version header is required.")
    if raw_version is not None and not valid:
        raise XapiError(f"xAPI version '{raw_version}' is not supported.")
    if alternate and answer[0] == VERSION_2:
        raise XapiError("xAPI 2.0 does not allow the alternate request syntax.")
    if method not in methods and not (method == "HEAD" and "GET" in methods):
        raise XapiError(f"{method} is not allowed here.", status=405)
    return XapiRequest(
        method=method,
        params=params,
        headers=headers,
        body=body,
        client=client,  # type: ignore[arg-type]
        version=answer[0],
        django=request,
    )


def xapi_view(
    *, methods: set[str], version_required: bool = True, consistent_through: bool = False
) -> Callable[[View], Any]:
    """Wrap an xAPI resource: authenticate, negotiate the version, answer errors as JSON."""

    def decorate(view: View) -> Any:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            answer = [VERSION_2]
            try:
                xapi_request = negotiate(
                    request, methods=methods, version_required=version_required, answer=answer
                )
                response = view(xapi_request)
                if xapi_request.method == "HEAD":
                    length = len(response.content)
                    response.content = b""
                    response["Content-Length"] = str(length)
            except XapiError as error:
                response = error_response(error)
            response[VERSION_HEADER] = answer[0]
            if consistent_through:
                response["X-Experience-API-Consistent-Through"] = (
                    timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
                )
            return response

        return wrapper

    return decorate

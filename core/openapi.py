"""The OpenAPI schema's error responses, documented once for every operation.

Each operation lists the error statuses the API really answers with, typed with the error shape
of `core.api` (`detail`, plus field errors on a 400). They follow from how the request is
handled, not from each view:

- 400 on every operation: `core.middleware.RefuseNulMiddleware` refuses a NUL character in
  any query string, path or body before a view runs; views add their field errors.
- 401 and 403 wherever the view authenticates: a wrong or revoked token is a 401; a session
  without its CSRF token, a staff session without two-factor set up, or a permission the
  caller lacks is a 403.
- 404 where the operation names an object (a path parameter or a body field referring to
  one: "404 for what you may not see") or reads a cursor page (an unreadable cursor).
- 414 on every operation: the HTTP server (gunicorn) refuses a request line over 4,094
  bytes before Django sees it, so that answer is plain text, not the JSON error shape.
- 415 where it takes a body (a media type no parser reads); 429 where the view throttles.

A view documents any other status (409, 413, a 404 the rules above cannot see) with
`extend_schema(responses=...)`; a documented error without a body gets the error shape here.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry, ResolvedComponent

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error: `detail` says what went wrong.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Refused input: `detail` sums it up and each invalid field names its messages "
        "(a list of them, or an object for a nested field or a list's items)."
    ),
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}
DESCRIPTIONS = {
    "400": "Invalid input: field errors, or a NUL character anywhere in the request",
    "401": "No valid credentials: a wrong, expired or revoked token",
    "403": "Not allowed: a missing CSRF token, two-factor setup pending, or no permission",
    "404": "Not found, or not yours to see",
    "414": "The URL is longer than the server reads (answered by gunicorn, as plain text)",
    "415": "A request body in a media type this operation does not read",
    "429": "Too many requests; retry after the time the `Retry-After` header gives",
}
JSON = "application/json"
# Answered before the request reaches Django, so without the API's JSON error body.
FROM_THE_HTTP_SERVER = {"414"}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema with the error statuses every operation can answer."""

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: ComponentRegistry,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(status, {"description": DESCRIPTIONS[status]})
        for status, response in responses.items():
            if (
                status.startswith(("4", "5"))
                and status not in FROM_THE_HTTP_SERVER
                and "content" not in response
            ):
                response["content"] = {JSON: {"schema": self._error_component(status).ref}}
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        in_path = any(parameter["in"] == "path" for parameter in parameters)
        has_cursor = any(
            parameter["in"] == "query" and parameter["name"] == "cursor" for parameter in parameters
        )
        has_body = "requestBody" in operation
        statuses = ["400"]
        if self.view.authentication_classes:
            statuses += ["401", "403"]
        if in_path or has_cursor or has_body:
            statuses.append("404")
        statuses.append("414")
        if has_body:
            statuses.append("415")
        if self.view.throttle_classes:
            statuses.append("429")
        return statuses

    def _error_component(self, status: str) -> ResolvedComponent:
        name, schema = ("Error", ERROR_SCHEMA)
        if status == "400":
            name, schema = ("ValidationError", VALIDATION_ERROR_SCHEMA)
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component

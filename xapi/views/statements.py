"""The Statement resource: store (PUT, POST) and query (GET) statements."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core import signing
from django.http import HttpResponse
from django.utils.http import http_date

from xapi.formats import accept_languages, canonical, ids_statement
from xapi.http import XapiRequest, json_response, xapi_view
from xapi.models import Attachment
from xapi.multipart import Part, build_multipart, split_multipart
from xapi.selectors.statements import StatementQuery, statements_matching, statements_visible_to
from xapi.services.statements import statement_attachments, statements_store
from xapi.validation import (
    Rules,
    XapiError,
    agent_ifi,
    check_iri,
    is_uuid,
    parse_agent_param,
    parse_json,
    parse_timestamp,
)

MAX_LIMIT = 500
QUERY_PARAMS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
}
SINGLE_PARAMS = {"statementId", "voidedStatementId", "format", "attachments"}
MORE_SALT = "xapi.statements.more"


@xapi_view(methods={"GET", "PUT", "POST"}, consistent_through=True)
def statements(request: XapiRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return statements_get(request)
    if request.method == "PUT":
        return statements_put(request)
    return statements_post(request)


def read_body(request: XapiRequest) -> tuple[Any, list[Part]]:
    """The statement(s) and attachment parts of a PUT or POST body."""
    content_type = request.content_type
    if content_type == "application/json":
        return request.json_body(), []
    if content_type == "multipart/mixed":
        parts = split_multipart(request.headers.get("content-type", ""), request.body)
        if not parts or parts[0].content_type != "application/json":
            raise XapiError("The first part of a multipart statement request is JSON.")
        return parse_json(parts[0].content, "The statement part"), parts[1:]
    raise XapiError("Statements are sent as application/json or multipart/mixed.")


def statements_put(request: XapiRequest) -> HttpResponse:
    if set(request.params) != {"statementId"}:
        raise XapiError("PUT takes exactly one parameter, statementId.")
    statement_id = request.params["statementId"]
    if not is_uuid(statement_id):
        raise XapiError("statementId must be a UUID.")
    body, parts = read_body(request)
    if not isinstance(body, dict):
        raise XapiError("PUT carries one statement object.")
    if "id" in body and str(body["id"]).lower() != statement_id.lower():
        raise XapiError("The statement's id differs from statementId.")
    body = {**body, "id": statement_id}
    statements_store(
        client=request.client, statements=[body], parts=parts, rules=Rules(v2=request.v2)
    )
    return HttpResponse(status=204)


def statements_post(request: XapiRequest) -> HttpResponse:
    if request.params:
        raise XapiError("POST to statements takes no parameters.")
    body, parts = read_body(request)
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise XapiError("The batch is empty.")
    ids = statements_store(
        client=request.client, statements=batch, parts=parts, rules=Rules(v2=request.v2)
    )
    return json_response(ids)


def flag(params: dict[str, str], name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise XapiError(f"{name} must be true or false.")
    return value == "true"


def statements_get(request: XapiRequest) -> HttpResponse:
    params = request.params
    if "more" in params:
        return more_page(request)
    if "statementId" in params or "voidedStatementId" in params:
        return single_statement(request)
    unknown = set(params) - QUERY_PARAMS
    if unknown:
        raise XapiError(f"Unknown parameter(s): {', '.join(sorted(unknown))}.")
    query, limit, output = parse_query(params)
    return statement_page(request, query, limit, output, params)


def parse_query(params: dict[str, str]) -> tuple[StatementQuery, int, dict[str, Any]]:
    agent = None
    if "agent" in params:
        agent = agent_ifi(parse_agent_param(params["agent"]))
    for name in ("verb", "activity"):
        if name in params:
            check_iri(params[name], name)
    if "registration" in params and not is_uuid(params["registration"]):
        raise XapiError("registration must be a UUID.")
    times = {}
    for name in ("since", "until"):
        if name in params:
            parsed = parse_timestamp(params[name])
            if parsed is None:
                raise XapiError(f"{name} must be an ISO 8601 timestamp.")
            times[name] = parsed
    try:
        limit = int(params.get("limit", "0"))
    except ValueError as error:
        raise XapiError("limit must be a non-negative integer.") from error
    if limit < 0:
        raise XapiError("limit must be a non-negative integer.")
    output = {
        "format": params.get("format", "exact"),
        "attachments": flag(params, "attachments"),
    }
    if output["format"] not in ("exact", "ids", "canonical"):
        raise XapiError("format is exact, ids or canonical.")
    query = StatementQuery(
        agent=agent,
        verb=params.get("verb"),
        activity=params.get("activity"),
        registration=params.get("registration"),
        related_activities=flag(params, "related_activities"),
        related_agents=flag(params, "related_agents"),
        since=times.get("since"),
        until=times.get("until"),
        ascending=flag(params, "ascending"),
    )
    return query, (limit if 0 < limit <= MAX_LIMIT else MAX_LIMIT), output


def single_statement(request: XapiRequest) -> HttpResponse:
    params = request.params
    if "statementId" in params and "voidedStatementId" in params:
        raise XapiError("Give statementId or voidedStatementId, not both.")
    extra = set(params) - SINGLE_PARAMS
    if extra:
        raise XapiError("statementId and voidedStatementId take only format and attachments.")
    voided = "voidedStatementId" in params
    wanted = params["voidedStatementId" if voided else "statementId"]
    if not is_uuid(wanted):
        raise XapiError("The statement id must be a UUID.")
    output = {
        "format": params.get("format", "exact"),
        "attachments": flag(params, "attachments"),
    }
    if output["format"] not in ("exact", "ids", "canonical"):
        raise XapiError("format is exact, ids or canonical.")
    row = (
        statements_visible_to(request.client)
        .filter(statement_id=uuid.UUID(wanted), voided=voided)
        .first()
    )
    if row is None:
        raise XapiError("No such statement.", 404)
    statement = shape(row.data, output, request)
    response = respond(request, statement, [row.data], output)
    response["Last-Modified"] = http_date(row.stored.timestamp())
    return response


def shape(data: dict[str, Any], output: dict[str, Any], request: XapiRequest) -> dict[str, Any]:
    if output["format"] == "ids":
        return ids_statement(data)
    if output["format"] == "canonical":
        return canonical(data, accept_languages(request.header("accept-language")))  # type: ignore[no-any-return]
    return data


def respond(
    request: XapiRequest, payload: Any, rows: list[dict[str, Any]], output: dict[str, Any]
) -> HttpResponse:
    if not output["attachments"]:
        response = json_response(payload)
    else:
        hashes = []
        for data in rows:
            for attachment in statement_attachments(data):
                if attachment["sha2"] not in hashes:
                    hashes.append(attachment["sha2"])
        contents = Attachment.objects.in_bulk(hashes)
        boundary = uuid.uuid4().hex
        parts: list[tuple[dict[str, str], bytes]] = [
            (
                {"Content-Type": "application/json"},
                json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            )
        ]
        for sha2 in hashes:
            if sha2 in contents:
                stored = contents[sha2]
                parts.append(
                    (
                        {
                            "Content-Type": stored.content_type,
                            "Content-Transfer-Encoding": "binary",
                            "X-Experience-API-Hash": sha2,
                        },
                        bytes(stored.content),
                    )
                )
        response = HttpResponse(
            build_multipart(parts, boundary),
            content_type=f'multipart/mixed; boundary="{boundary}"',
        )
    return response


def statement_page(
    request: XapiRequest,
    query: StatementQuery,
    limit: int,
    output: dict[str, Any],
    params: dict[str, str],
) -> HttpResponse:
    rows = list(statements_matching(request.client, query).values_list("seq", "data")[: limit + 1])
    more = ""
    if len(rows) > limit:
        rows = rows[:limit]
        token = signing.dumps(
            {"params": params, "after": rows[-1][0], "client": request.client.pk},
            salt=MORE_SALT,
            compress=True,
        )
        more = f"{request.django.path}?more={token}"
    datas = [data for _, data in rows]
    payload = {"statements": [shape(data, output, request) for data in datas], "more": more}
    return respond(request, payload, datas, output)


def more_page(request: XapiRequest) -> HttpResponse:
    if set(request.params) != {"more"}:
        raise XapiError("A more link takes no other parameters.")
    try:
        state = signing.loads(request.params["more"], salt=MORE_SALT)
    except signing.BadSignature as error:
        raise XapiError("The more link is not valid.") from error
    if state.get("client") != request.client.pk:
        raise XapiError("The more link belongs to another client.", 404)
    params = state["params"]
    query, limit, output = parse_query(params)
    query = StatementQuery(**{**query.__dict__, "after_seq": state["after"]})
    return statement_page(request, query, limit, output, params)

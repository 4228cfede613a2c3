"""SCIM 2.0 endpoints (RFC 7644) for an institution's provisioning client.

Plain Django views rather than DRF: SCIM has its own media type, error body, filter syntax and
PATCH format, none of which DRF's renderers and parsers speak. Every view authenticates a
bearer `ScimToken` and reads only that token's institution's records, so another
institution's people are simply not found (404).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from sso.models import ScimGroup, ScimToken, ScimUser
from sso.scim import services
from sso.scim.services import GROUP_EXTENSION, ScimError

MEDIA_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
MAX_RESULTS = 200
MAX_BODY = 1024 * 1024


def _json(body: dict[str, Any], status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=MEDIA_TYPE)
    if location:
        response["Location"] = location
    return response


def _error(error: ScimError) -> HttpResponse:
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(error.status),
        "detail": error.detail,
    }
    if error.scim_type:
        body["scimType"] = error.scim_type
    response = _json(body, error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


View = Callable[..., HttpResponse]


def scim_view(methods: tuple[str, ...]) -> Callable[[View], View]:
    """Authenticate the bearer token, allow `methods`, and turn ScimError into its answer."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            header = request.headers.get("Authorization", "")
            scheme, _, key = header.partition(" ")
            token = (
                services.scim_token_authenticate(key=key.strip())
                if scheme.lower() == "bearer"
                else None
            )
            try:
                if token is None:
                    raise ScimError(401, "A valid SCIM bearer token is required.")
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not supported here.")
                return view(request, token, *args, **kwargs)
            except ScimError as error:
                return _error(error)

        return wrapped

    return decorate


def _body(request: HttpRequest) -> Any:
    try:
        size = len(request.body)
    except RequestDataTooBig:  # past Django's own limit
        size = MAX_BODY + 1
    if size > MAX_BODY:
        raise ScimError(413, "The request body is larger than 1 MB.", "tooLarge")
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as error:
        raise ScimError(400, f"The body is not valid JSON: {error}", "invalidSyntax") from None


def _location(request: HttpRequest, name: str, pk: Any) -> str:
    return request.build_absolute_uri(reverse(name, args=[pk]))


def _meta(request: HttpRequest, kind: str, name: str, obj: Any) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": obj.created_at.isoformat(),
        "lastModified": obj.updated_at.isoformat(),
        "location": _location(request, name, obj.pk),
        "version": f'W/"{int(obj.updated_at.timestamp() * 1_000_000)}"',
    }


def user_resource(request: HttpRequest, record: ScimUser) -> dict[str, Any]:
    full = " ".join(p for p in (record.given_name, record.family_name) if p)
    return {
        "schemas": [USER_SCHEMA],
        "id": str(record.pk),
        **({"externalId": record.external_id} if record.external_id else {}),
        "userName": record.user_name,
        "name": {"givenName": record.given_name, "familyName": record.family_name,
                 "formatted": full},
        "displayName": full or record.user_name,
        "active": record.active,
        "emails": [{"value": record.email, "primary": True, "type": "work"}],
        "groups": [
            {"value": str(g.pk), "display": g.display_name,
             "$ref": _location(request, "scim_group", g.pk)}
            for g in record.groups.all()
        ],
        "meta": _meta(request, "User", "scim_user", record),
    }  # fmt: skip


def group_resource(request: HttpRequest, group: ScimGroup) -> dict[str, Any]:
    return {
        "schemas": [GROUP_SCHEMA, GROUP_EXTENSION],
        "id": str(group.pk),
        **({"externalId": group.external_id} if group.external_id else {}),
        "displayName": group.display_name,
        "members": [
            {"value": str(m.pk), "display": m.user_name,
             "$ref": _location(request, "scim_user", m.pk)}
            for m in group.members.all()
        ],
        **({GROUP_EXTENSION: {"program": group.program.slug, "role": group.role}}
           if group.program is not None else {}),
        "meta": _meta(request, "Group", "scim_group", group),
    }  # fmt: skip


FILTERABLE = {
    "User": {"userName": "user_name__iexact", "externalId": "external_id"},
    "Group": {"displayName": "display_name__iexact", "externalId": "external_id"},
}


def _filtered(request: HttpRequest, kind: str, rows: QuerySet[Any]) -> QuerySet[Any]:
    """Apply `filter=<attribute> eq "<value>"`, the form provisioning clients send."""
    expression = request.GET.get("filter", "").strip()
    if not expression:
        return rows
    attribute, _, rest = expression.partition(" ")
    operator, _, value = rest.strip().partition(" ")
    value = value.strip()
    lookup = FILTERABLE[kind].get(attribute)
    quoted = len(value) >= 2 and value[0] == value[-1] == '"'
    if lookup is None or operator.lower() != "eq" or not quoted:
        raise ScimError(
            400,
            f'Supported filters: {" or ".join(FILTERABLE[kind])} eq "value".',
            "invalidFilter",
        )
    return rows.filter(**{lookup: json.loads(value)})


def _page(request: HttpRequest) -> tuple[int, int]:
    try:
        start = max(1, int(request.GET.get("startIndex", 1)))
        count = max(0, min(MAX_RESULTS, int(request.GET.get("count", MAX_RESULTS))))
    except ValueError:
        raise ScimError(400, "startIndex and count must be integers.", "invalidValue") from None
    return start, count


def _list(
    request: HttpRequest,
    kind: str,
    rows: QuerySet[Any],
    render: Callable[[HttpRequest, Any], dict[str, Any]],
) -> HttpResponse:
    rows = _filtered(request, kind, rows)
    start, count = _page(request)
    total = rows.count()
    # A start past the last result is an empty page; it is not sent to the database, where
    # an offset wider than a bigint is an error.
    page = list(rows[start - 1 : start - 1 + count]) if start <= total else []
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [render(request, row) for row in page],
        }
    )


def _users(token: ScimToken) -> QuerySet[ScimUser]:
    return ScimUser.objects.filter(institution=token.institution).prefetch_related("groups")


def _groups(token: ScimToken) -> QuerySet[ScimGroup]:
    return (
        ScimGroup.objects.filter(institution=token.institution)
        .select_related("program")
        .prefetch_related("members")
    )


def _one(rows: QuerySet[Any], pk: str) -> Model:
    import uuid

    try:
        return rows.get(pk=uuid.UUID(pk))
    except (ValueError, rows.model.DoesNotExist):
        raise ScimError(404, "No such resource.") from None


@scim_view(("GET", "POST"))
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "GET":
        return _list(request, "User", _users(token), user_resource)
    record = services.scim_user_create(institution=token.institution, data=_body(request))
    record = _users(token).get(pk=record.pk)
    return _json(user_resource(request, record), 201, _location(request, "scim_user", record.pk))


@scim_view(("GET", "PUT", "PATCH", "DELETE"))
def user(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    record = _one(_users(token), pk)
    assert isinstance(record, ScimUser)
    if request.method == "DELETE":
        services.scim_user_delete(record=record)
        return HttpResponse(status=204)
    if request.method == "PUT":
        services.scim_user_replace(record=record, data=_body(request))
    elif request.method == "PATCH":
        services.scim_user_patch(record=record, data=_body(request))
    record = _users(token).get(pk=record.pk)
    return _json(user_resource(request, record))


@scim_view(("GET", "POST"))
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    if request.method == "GET":
        return _list(request, "Group", _groups(token), group_resource)
    group = services.scim_group_create(institution=token.institution, data=_body(request))
    group = _groups(token).get(pk=group.pk)
    return _json(group_resource(request, group), 201, _location(request, "scim_group", group.pk))


@scim_view(("GET", "PUT", "PATCH", "DELETE"))
def group(request: HttpRequest, token: ScimToken, pk: str) -> HttpResponse:
    found = _one(_groups(token), pk)
    assert isinstance(found, ScimGroup)
    if request.method == "DELETE":
        services.scim_group_delete(group=found)
        return HttpResponse(status=204)
    if request.method == "PUT":
        services.scim_group_replace(group=found, data=_body(request))
    elif request.method == "PATCH":
        services.scim_group_patch(group=found, data=_body(request))
    found = _groups(token).get(pk=found.pk)
    return _json(group_resource(request, found))


@scim_view(("GET",))
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _json(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://continuum.invalid/docs/sso.md#scim",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A per-institution token made in the admin or with "
                    "`manage.py scim_token`.",
                    "primary": True,
                }
            ],
            "meta": {"resourceType": "ServiceProviderConfig"},
        }
    )


RESOURCE_TYPES: list[dict[str, Any]] = [
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "meta": {"resourceType": "ResourceType"},
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "schema": GROUP_SCHEMA,
        "schemaExtensions": [{"schema": GROUP_EXTENSION, "required": False}],
        "meta": {"resourceType": "ResourceType"},
    },
]


def _attribute(name: str, kind: str = "string", **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
        **more,
    }


SCHEMAS: list[dict[str, Any]] = [
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person provisioned by the institution; userName is their email.",
        "attributes": [
            _attribute("userName", required=True, uniqueness="server"),
            _attribute("externalId"),
            _attribute(
                "name",
                "complex",
                subAttributes=[
                    _attribute("givenName"),
                    _attribute("familyName"),
                    _attribute("formatted", mutability="readOnly"),
                ],
            ),
            _attribute("displayName", mutability="readOnly"),
            _attribute("active", "boolean"),
            _attribute(
                "groups",
                "complex",
                multiValued=True,
                mutability="readOnly",
                subAttributes=[
                    _attribute("value", mutability="readOnly"),
                    _attribute("display", mutability="readOnly"),
                    _attribute(
                        "$ref", "reference", mutability="readOnly", referenceTypes=["Group"]
                    ),
                ],
            ),
            # Accounts are keyed by address: the primary email (else userName) is required.
            _attribute(
                "emails",
                "complex",
                multiValued=True,
                required=True,
                subAttributes=[
                    _attribute("value", required=True),
                    _attribute("type"),
                    _attribute("primary", "boolean"),
                ],
            ),
        ],
        "meta": {"resourceType": "Schema"},
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A role in one of the institution's programs, held by its members.",
        "attributes": [
            _attribute("displayName", required=True, uniqueness="server"),
            _attribute("externalId"),
            _attribute(
                "members",
                "complex",
                multiValued=True,
                subAttributes=[
                    _attribute("value", mutability="immutable"),
                    _attribute("display", mutability="readOnly"),
                    _attribute(
                        "$ref", "reference", mutability="immutable", referenceTypes=["User"]
                    ),
                ],
            ),
        ],
        "meta": {"resourceType": "Schema"},
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_EXTENSION,
        "name": "ProgramRole",
        "description": "The program (slug) and role a group stands for.",
        # Both are needed when the extension is sent; the extension itself is optional.
        "attributes": [
            _attribute("program"),
            _attribute(
                "role",
                canonicalValues=[value for value, _ in ScimGroup.ROLE_CHOICES],
            ),
        ],
        "meta": {"resourceType": "Schema"},
    },
]


def _listing(items: list[dict[str, Any]]) -> HttpResponse:
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(items),
            "startIndex": 1,
            "itemsPerPage": len(items),
            "Resources": items,
        }
    )


def _by_id(items: list[dict[str, Any]], pk: str) -> HttpResponse:
    for item in items:
        if item["id"] == pk:
            return _json(item)
    raise ScimError(404, "No such resource.")


@scim_view(("GET",))
def resource_types(request: HttpRequest, token: ScimToken, pk: str = "") -> HttpResponse:
    return _by_id(RESOURCE_TYPES, pk) if pk else _listing(RESOURCE_TYPES)


@scim_view(("GET",))
def schemas(request: HttpRequest, token: ScimToken, pk: str = "") -> HttpResponse:
    return _by_id(SCHEMAS, pk) if pk else _listing(SCHEMAS)


@scim_view(("GET", "POST", "PUT", "PATCH", "DELETE"))
def not_found(request: HttpRequest, token: ScimToken, rest: str) -> HttpResponse:
    raise ScimError(404, f"There is no SCIM endpoint /{rest}.")

"""The read endpoints of the CASE 1.0 REST API at /ims/case/v1p0/ (docs/frameworks.md).

Plain Django views, as for xAPI: the CASE binding fixes the response shapes (CFDocumentSet,
CFPackage, imsx_StatusInfo for errors), which are not our API's, and its own OpenAPI
description documents them. Who sees what is `selectors.frameworks_served_by_case`: public
versions to anyone, every version to a signed-in person or to `Authorization: Token <key>`.
Someone without credentials asking for anything that is not public gets 401 whether or not it
exists, so the answer never tells that a private framework is there.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from rest_framework import exceptions

from accounts.authentication import HashedTokenAuthentication
from frameworks import case, identifiers
from frameworks.models import Competency, CompetencyLink, CompetencyQuerySet, Framework
from frameworks.selectors import (
    framework_detail,
    framework_links_from,
    frameworks_served_by_case,
)

MAX_LIMIT = 100


class _Unauthorised(Exception):
    pass


def _status(status: int, description: str, minor: str, field: str = "sourcedId") -> JsonResponse:
    response = JsonResponse(
        {
            "imsx_codeMajor": "failure",
            "imsx_severity": "error",
            "imsx_description": description,
            "imsx_codeMinor": {
                "imsx_codeMinorField": [
                    {"imsx_codeMinorFieldName": field, "imsx_codeMinorFieldValue": minor}
                ]
            },
        },
        status=status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Token realm="CASE"'
    return response


def _user(request: HttpRequest) -> Any:
    """The session's user, or a token's owner; a bad token is refused, not ignored."""
    try:
        found = HashedTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except exceptions.AuthenticationFailed:
        raise _Unauthorised from None
    if found is not None:
        return found[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else AnonymousUser()


def _uris(request: HttpRequest) -> case.Uris:
    return case.Uris(request.build_absolute_uri(case.PATH))


def _json(data: Any) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _not_found(user: Any) -> JsonResponse:
    if not user.is_authenticated:
        return _status(
            401,
            "Sign in or send a token to read frameworks that are not public.",
            "unauthorisedrequest",
        )
    return _status(404, "No such object.", "unknownobject")


def _endpoint(view: Any) -> Any:
    """GET only; the id is a UUID (400 invaliduuid); credentials are read once."""

    @require_GET
    def wrapped(request: HttpRequest, **kwargs: str) -> HttpResponse:
        try:
            user = _user(request)
        except _Unauthorised:
            return _status(401, "The token is not valid.", "unauthorisedrequest")
        if "sourced_id" in kwargs:
            try:
                kwargs["sourced_id"] = str(uuid.UUID(kwargs["sourced_id"]))
            except ValueError:
                return _status(400, "The identifier is not a UUID.", "invaliduuid")
        response: HttpResponse = view(request, user, **kwargs)
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _document_with_package(framework: Framework, uris: case.Uris) -> dict[str, Any]:
    out = case.document(framework, uris)
    out["CFPackageURI"] = uris.link("CFPackages", framework.uuid, framework.name)
    return out


def _page(request: HttpRequest, name: str, default: int) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value


@_endpoint
def documents(request: HttpRequest, user: Any) -> HttpResponse:
    """CFDocuments: every version the caller may see (two queries, whatever the number)."""
    limit = _page(request, "limit", MAX_LIMIT)
    offset = _page(request, "offset", 0)
    if limit is None or limit < 1 or offset is None or offset < 0:
        return _status(
            400, "limit must be 1 or more and offset 0 or more.", "invalid_selection_field", "limit"
        )
    limit = min(limit, MAX_LIMIT)
    uris = _uris(request)
    frameworks = frameworks_served_by_case(user=user).order_by("code", "-version")[
        offset : offset + limit
    ]
    return _json({"CFDocuments": [_document_with_package(f, uris) for f in frameworks]})


def _one(user: Any, **lookup: Any) -> Framework | None:
    return frameworks_served_by_case(user=user).filter(**lookup).first()


@_endpoint
def document(request: HttpRequest, user: Any, sourced_id: str) -> HttpResponse:
    framework = _one(user, uuid=sourced_id)
    if framework is None:
        return _not_found(user)
    return _json(_document_with_package(framework, _uris(request)))


@_endpoint
def package(request: HttpRequest, user: Any, sourced_id: str) -> HttpResponse:
    """CFPackages/{id}: the whole version (a fixed number of queries)."""
    visible = frameworks_served_by_case(user=user).values("pk")
    framework = framework_detail().filter(uuid=sourced_id, pk__in=visible).first()
    if framework is None:
        return _not_found(user)
    links = list(framework_links_from(framework=framework))
    return _json(case.package(framework, _uris(request), links))


def _latest(competencies: CompetencyQuerySet) -> Competency | None:
    """An item kept across versions has one identifier: the newest visible version answers."""
    return (
        competencies.select_related("framework", "framework__scale", "parent")
        .with_is_ratable()
        .order_by("-framework__imported_at", "-framework_id")
        .first()
    )


@_endpoint
def item(request: HttpRequest, user: Any, sourced_id: str) -> HttpResponse:
    visible = frameworks_served_by_case(user=user).values("pk")
    competency = _latest(Competency.objects.filter(uuid=sourced_id, framework__in=visible))
    if competency is None:
        return _not_found(user)
    uris = _uris(request)
    framework = competency.framework
    out = case.item(competency, framework, uris)
    out["CFDocumentURI"] = uris.link("CFDocuments", framework.uuid, framework.name)
    return _json(out)


@_endpoint
def association(request: HttpRequest, user: Any, sourced_id: str) -> HttpResponse:
    """CFAssociations/{id}: an item's place in the tree, or a link between frameworks."""
    visible = frameworks_served_by_case(user=user).values("pk")
    uris = _uris(request)
    competency = _latest(Competency.objects.filter(child_of_uuid=sourced_id, framework__in=visible))
    if competency is not None:
        framework = competency.framework
        node = competency
        destination = (
            uris.link("CFItems", node.parent.uuid, node.parent.code)
            if node.parent is not None
            else uris.link("CFDocuments", framework.uuid, framework.name)
        )
        siblings = framework.competencies.filter(parent=node.parent_id, order__lte=node.order)
        out: dict[str, Any] = {
            "identifier": str(node.child_of_uuid),
            "associationType": "isChildOf",
            "sequenceNumber": siblings.count(),
            "uri": uris.of("CFAssociations", node.child_of_uuid),
            "originNodeURI": uris.link("CFItems", node.uuid, node.code),
            "destinationNodeURI": destination,
            "lastChangeDateTime": case._when(framework.imported_at),
        }
    else:
        link = (
            CompetencyLink.objects.filter(uuid=sourced_id, origin__framework__in=visible)
            .select_related("origin", "origin__framework", "destination")
            .first()
        )
        if link is None:
            return _not_found(user)
        framework = link.origin.framework
        out = case.link_association(link, uris)
    out["CFDocumentURI"] = uris.link("CFDocuments", framework.uuid, framework.name)
    return _json(out)


@_endpoint
def rubric(request: HttpRequest, user: Any, sourced_id: str) -> HttpResponse:
    """CFRubrics/{id}: a version's scale and level descriptors (its identifier is derived from
    the document's, so the lookup reads the visible documents' identifiers)."""
    wanted = uuid.UUID(sourced_id)
    match = next(
        (
            pk
            for pk, document_id in frameworks_served_by_case(user=user).values_list("pk", "uuid")
            if identifiers.rubric_uuid(document_id) == wanted
        ),
        None,
    )
    if match is None:
        return _not_found(user)
    framework = framework_detail().get(pk=match)
    return _json(case.rubric(framework, _uris(request)))

"""State, Agent Profile and Activity Profile resources, and the Agents, Activities and About
resources beside them."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.http import http_date

from xapi.http import SUPPORTED_VERSIONS, XapiRequest, json_response, xapi_view
from xapi.models import Activity, Document
from xapi.services.documents import DocumentKey, document_write, documents_delete
from xapi.validation import (
    XapiError,
    agent_ifi,
    check_iri,
    is_uuid,
    parse_agent_param,
    parse_timestamp,
)

MAX_DOCUMENT_ID = 2048
MAX_CONTENT_TYPE = 255


def require(params: dict[str, str], name: str) -> str:
    if name not in params:
        raise XapiError(f"The '{name}' parameter is required.")
    return params[name]


def check_params(params: dict[str, str], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise XapiError(f"Unknown parameter(s): {', '.join(sorted(unknown))}.")


def agent_param(params: dict[str, str]) -> tuple[dict[str, Any], str]:
    agent = parse_agent_param(require(params, "agent"))
    return agent, agent_ifi(agent)


def document_response(document: Document) -> HttpResponse:
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["ETag"] = f'"{document.etag}"'
    response["Last-Modified"] = http_date(document.updated.timestamp())
    return response


def handle_documents(
    request: XapiRequest, key: DocumentKey, id_name: str, *, profile: bool
) -> HttpResponse:
    """The four methods of a document resource once its owner (`key`) is known."""
    params = request.params
    document_id = params.get(id_name)
    if document_id is not None and len(document_id) > MAX_DOCUMENT_ID:
        raise XapiError(f"{id_name} is longer than {MAX_DOCUMENT_ID} characters.")
    documents = Document.objects.filter(**key.filter())
    if request.method in ("GET", "HEAD"):
        if document_id is not None:
            if "since" in params:
                raise XapiError(f"since is for listing ids, not with {id_name}.")
            document = documents.filter(document_id=document_id).first()
            if document is None:
                raise XapiError("No such document.", 404)
            return document_response(document)
        if "since" in params:
            since = parse_timestamp(params["since"])
            if since is None:
                raise XapiError("since must be an ISO 8601 timestamp.")
            documents = documents.filter(updated__gt=since)
        ids = list(documents.order_by("updated").values_list("document_id", flat=True))
        response = json_response(ids)
        latest = documents.order_by("-updated").first()
        if latest is not None:
            response["Last-Modified"] = http_date(latest.updated.timestamp())
        return response
    if request.method == "DELETE":
        if profile and document_id is None:
            raise XapiError(f"The '{id_name}' parameter is required.")
        documents_delete(
            key=key,
            document_id=document_id,
            if_match=request.header("if-match"),
            require_precondition=False,
        )
        return HttpResponse(status=204)
    if document_id is None:
        raise XapiError(f"The '{id_name}' parameter is required.")
    content_type = request.headers.get("content-type", "application/octet-stream")
    if len(content_type) > MAX_CONTENT_TYPE:
        raise XapiError(f"Content-Type is longer than {MAX_CONTENT_TYPE} characters.")
    if request.content_type == "application/json" and request.method == "PUT":
        request.json_body()
    document_write(
        key=key,
        document_id=document_id,
        content=request.body,
        content_type=content_type,
        merge=request.method == "POST",
        if_match=request.header("if-match"),
        if_none_match=request.header("if-none-match"),
        precondition=precondition_rule(request, profile=profile),
    )
    return HttpResponse(status=204)


def precondition_rule(request: XapiRequest, *, profile: bool) -> str:
    """Which PUTs must carry If-Match or If-None-Match.

    Profiles always (409 when the document exists, 400 when not); states from xAPI 2.0 on,
    when the document exists.
    """
    if request.method != "PUT":
        return "none"
    if profile:
        return "always"
    return "existing" if request.v2 else "none"


@xapi_view(methods={"GET", "PUT", "POST", "DELETE"})
def state(request: XapiRequest) -> HttpResponse:
    params = request.params
    check_params(params, {"activityId", "agent", "registration", "stateId", "since"})
    activity_id = check_iri(require(params, "activityId"), "activityId")
    _, ifi = agent_param(params)
    registration = params.get("registration", "")
    if registration and not is_uuid(registration):
        raise XapiError("registration must be a UUID.")
    key = DocumentKey(
        client=request.client,
        kind=Document.Kind.STATE,
        activity_id=activity_id,
        agent_ifi=ifi,
        registration=registration.lower(),
    )
    return handle_documents(request, key, "stateId", profile=False)


@xapi_view(methods={"GET", "PUT", "POST", "DELETE"})
def agent_profile(request: XapiRequest) -> HttpResponse:
    params = request.params
    check_params(params, {"agent", "profileId", "since"})
    _, ifi = agent_param(params)
    key = DocumentKey(client=request.client, kind=Document.Kind.AGENT_PROFILE, agent_ifi=ifi)
    return handle_documents(request, key, "profileId", profile=True)


@xapi_view(methods={"GET", "PUT", "POST", "DELETE"})
def activity_profile(request: XapiRequest) -> HttpResponse:
    params = request.params
    check_params(params, {"activityId", "profileId", "since"})
    activity_id = check_iri(require(params, "activityId"), "activityId")
    key = DocumentKey(
        client=request.client, kind=Document.Kind.ACTIVITY_PROFILE, activity_id=activity_id
    )
    return handle_documents(request, key, "profileId", profile=True)


@xapi_view(methods={"GET"})
def agents(request: XapiRequest) -> HttpResponse:
    check_params(request.params, {"agent"})
    agent, _ = agent_param(request.params)
    person: dict[str, Any] = {"objectType": "Person"}
    if "name" in agent:
        person["name"] = [agent["name"]]
    for key in ("mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            person[key] = [agent[key]]
    return json_response(person)


@xapi_view(methods={"GET"})
def activities(request: XapiRequest) -> HttpResponse:
    check_params(request.params, {"activityId"})
    activity_id = check_iri(require(request.params, "activityId"), "activityId")
    activity = Activity.objects.filter(activity_id=activity_id).first()
    # Without a definition on record the answer is still an Activity, with its id alone.
    body: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if activity is not None and activity.definition:
        body["definition"] = activity.definition
    return json_response(body)


@xapi_view(methods={"GET"}, version_required=False)
def about(request: XapiRequest) -> HttpResponse:
    return json_response({"version": SUPPORTED_VERSIONS, "extensions": {}})

"""Credential pages: the learner's list and download, the public verification page, and the
issuer's published documents (DID document, status list) that verifiers resolve."""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from credentials import issuer, services
from credentials.forms import VerifyForm
from credentials.models import Credential, IssuerKey
from credentials.selectors import credentials_of
from programs.models import Institution

LD_JSON = "application/ld+json"


@login_required
def credential_list(request: HttpRequest) -> HttpResponse:
    items = credentials_of(viewer=cast(User, request.user))
    return render(request, "credentials/list.html", {"credentials": items})


@login_required
def credential_download(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    credential = get_object_or_404(
        credentials_of(viewer=cast(User, request.user)), public_id=public_id
    )
    response = HttpResponse(json.dumps(credential.document, indent=2), content_type=LD_JSON)
    response["Content-Disposition"] = f'attachment; filename="credential-{public_id}.json"'
    return response


@require_http_methods(["GET", "POST"])
def credential_check(request: HttpRequest) -> HttpResponse:
    """Anyone pastes a credential and sees whether it checks out."""
    form = VerifyForm(request.POST or None)
    result = None
    document: Any = None
    if request.method == "POST" and form.is_valid():
        document = form.cleaned_data["credential"]
        result = services.credential_verify(document=document)
        if result.credential is not None:
            services.credential_view_log(credential=result.credential, viewer=request.user)
    return render(
        request,
        "credentials/check.html",
        {
            "form": form,
            "result": result,
            "document": document if isinstance(document, dict) else None,
        },
    )


@require_GET
def credential_verify_page(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The link a learner shares: anyone sees whether the credential checks out today."""
    credential = get_object_or_404(Credential.objects.all(), public_id=public_id)
    result = services.credential_verify(document=credential.document)
    services.credential_view_log(credential=credential, viewer=request.user)
    return render(
        request,
        "credentials/verify.html",
        {"result": result, "document": credential.document},
    )


@require_GET
def issuer_did_document(request: HttpRequest, slug: str) -> HttpResponse:
    institution = get_object_or_404(Institution, slug=slug)
    keys = IssuerKey.objects.filter(institution=institution).order_by("created_at", "id")
    if not keys:
        raise Http404("This institution does not issue credentials yet.")
    return JsonResponse(
        issuer.controller_document(institution, keys), content_type="application/did+ld+json"
    )


@require_GET
def status_list(request: HttpRequest, slug: str) -> HttpResponse:
    institution = get_object_or_404(Institution, slug=slug)
    document = services.status_list_signed(institution=institution)
    if document is None:
        raise Http404("This institution does not issue credentials yet.")
    response = JsonResponse(document, content_type=LD_JSON)
    # Revocation must show promptly; verifiers may cache for a minute.
    response["Cache-Control"] = "public, max-age=60"
    return response

"""Learning pages: the catalogue, my recommendations, uploading visits, upcoming learning."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from core.once import ONCE_URL, submit_once
from learning.fhir import BundleError
from learning.forms import CatalogueFilterForm, FeedbackForm, VisitUploadForm
from learning.selectors import (
    anticipatory_learning_for,
    catalogue_list,
    feedback_of,
    practitioner_link_of,
    recommendations_for,
    resource_detail,
    visits_of,
    visits_owned_by,
)
from learning.services import (
    FeedbackAction,
    recommendation_evidence_create,
    recommendation_feedback,
    visit_delete,
    visits_upload,
)

PAGE_SIZE = 25
FEEDBACK_MESSAGES = {
    FeedbackAction.DONE: "Marked done. Well done!",
    FeedbackAction.UNDONE: "Marked as not done.",
    FeedbackAction.HELPFUL: "Thanks — similar resources will rank higher.",
    FeedbackAction.NOT_RELEVANT: "Thanks — it is hidden, and similar resources rank lower.",
    FeedbackAction.CLEAR_RATING: "Rating cleared.",
    FeedbackAction.DISMISS: "Dismissed. You can find it again in the catalogue.",
    FeedbackAction.RESTORE: "Back on your list.",
}


VISITS_PAGE_SIZE = 50


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    resources = catalogue_list(**{k: v for k, v in filters.items() if v})
    page = Paginator(resources, PAGE_SIZE).get_page(request.GET.get("page"))
    feedback = feedback_of(learner=_me(request))
    rows = [(resource, feedback.get(resource.pk)) for resource in page.object_list]
    return render(request, "learning/catalogue.html", {"form": form, "page": page, "rows": rows})


@login_required
def resource_show(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(resource_detail(), pk=pk)
    return render(
        request,
        "learning/resource_detail.html",
        {"resource": resource, "mark": feedback_of(learner=_me(request)).get(resource.pk)},
    )


@login_required
def resource_file(request: HttpRequest, pk: int) -> FileResponse:
    resource = get_object_or_404(resource_detail(), pk=pk)
    if not resource.file:
        raise Http404
    name = str(resource.file.name).rsplit("/", 1)[-1]
    return FileResponse(resource.file.open("rb"), as_attachment=True, filename=name)


@login_required
@require_POST
def resource_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(resource_detail(), pk=pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That feedback was not understood.")
        return redirect(_back(request, "learning-recommendations"))
    action = form.cleaned_data["action"]
    recommendation_feedback(
        learner=_me(request), resource=resource, action=action, reason=form.cleaned_data["reason"]
    )
    messages.success(request, FEEDBACK_MESSAGES[action])
    return redirect(_back(request, "learning-recommendations"))


@login_required
@require_POST
@submit_once("evidence")
def resource_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(resource_detail(), pk=pk)
    evidence = recommendation_evidence_create(
        learner=_me(request), resource=resource, reason=request.POST.get("reason", "")[:500]
    )
    messages.success(request, f"Done, and added to your portfolio as evidence: {evidence.title}.")
    return redirect(_back(request, "learning-recommendations"))


@login_required
def recommendations(request: HttpRequest) -> HttpResponse:
    items = recommendations_for(learner=_me(request), limit=10)
    return render(request, "learning/recommendations.html", {"items": items})


@login_required
def upcoming(request: HttpRequest) -> HttpResponse:
    clinic_days = anticipatory_learning_for(learner=_me(request))
    return render(request, "learning/upcoming.html", {"clinic_days": clinic_days})


@login_required
@submit_once("visit import")
def visits(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    link = practitioner_link_of(learner=me)
    report = None
    status = 200
    if request.method == "POST":
        form = VisitUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = visits_upload(
                    learner=me,
                    content=form.content(),
                    practitioner_id=form.cleaned_data["practitioner_id"],
                )
            except BundleError as exc:
                form.add_error(None, exc.detail)
                status = exc.status
            else:
                messages.success(
                    request, f"Bundle read: {report.kept} upcoming visits kept from it."
                )
        else:
            status = 400
    else:
        form = VisitUploadForm(initial={"practitioner_id": link.practitioner_id if link else ""})
    page = Paginator(visits_of(learner=me), VISITS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "report": report, "page": page}
    response = render(request, "learning/visits.html", context, status=status)
    if report is not None:
        # The report is shown once, not redirected to: a replay of the upload goes to the list.
        setattr(response, ONCE_URL, reverse("learning-visits"))
    return response


@login_required
@require_POST
def visit_remove(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(visits_owned_by(learner=_me(request)), pk=pk)
    visit_delete(visit=visit)
    messages.success(request, "Visit removed from your list.")
    return redirect("learning-visits")

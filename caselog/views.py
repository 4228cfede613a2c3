"""Pages of the procedure and case log: the learner's log and totals, logging a case, the CSV
export; the supervisor's list of entries to verify; the program's procedure list."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from caselog import services
from caselog.export import COLUMNS, caselog_csv
from caselog.forms import EntryForm, ProcedureForm, ProcedureUploadForm
from caselog.models import CaseLogEntry
from caselog.selectors import (
    entries_of,
    entries_to_verify,
    entry_for_supervisor,
    procedures_of,
    procedures_to_log,
    program_listed_by,
    totals_of,
)
from core.forms import apply_errors
from core.once import submit_once
from portfolio.services import access_log_record_official

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def log(request: HttpRequest) -> HttpResponse:
    """The learner's totals against their programs' minimums, and their entries."""
    learner = _user(request)
    page = Paginator(entries_of(viewer=learner, learner=learner), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "caselog/log.html",
        {"page": page, "totals": totals_of(viewer=learner, learner=learner)},
    )


def _entry_form(request: HttpRequest, learner: User) -> EntryForm:
    procedures = list(procedures_to_log(learner=learner))
    supervisors: dict[int, str] = {}
    for program_id in {p.program_id for p in procedures}:
        for person in services.supervisors_of(program_id=program_id):
            if person.pk != learner.pk:
                supervisors[person.pk] = person.name
    return EntryForm(
        request.POST or None,
        procedures=[(p.pk, f"{p.code} · {p.name}") for p in procedures],
        supervisors=sorted(supervisors.items(), key=lambda item: item[1].lower()),
        initial={"client_token": uuid.uuid4()},
    )


@login_required
@submit_once("case-log entry")
def entry_create(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    form = _entry_form(request, learner)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.caselog_entry_record(
                learner=learner,
                procedure_id=data["procedure"],
                performed_on=data["performed_on"],
                role=data["role"],
                supervisor_id=data["supervisor"],
                age_band=data["age_band"],
                sex=data["sex"],
                site=data["site"],
                notes=data["notes"],
                client_token=data["client_token"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Case logged. Your supervisor is asked to verify it.")
            return redirect("caselog")
    return render(
        request,
        "caselog/entry_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(CaseLogEntry, pk=pk, learner=_user(request))
    try:
        services.caselog_entry_delete(entry=entry)
    except services.EntryVerifiedError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Entry deleted.")
    return redirect("caselog")


@login_required
def export(request: HttpRequest) -> HttpResponse:
    learner = _user(request)
    entries = entries_of(viewer=learner, learner=learner).order_by("performed_on", "id")
    response = HttpResponse(caselog_csv(entries.iterator()), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="case-log.csv"'
    return response


@login_required
def to_verify(request: HttpRequest) -> HttpResponse:
    """Entries that name the signed-in person as supervisor, waiting for one tap each."""
    supervisor = _user(request)
    page = Paginator(entries_to_verify(supervisor=supervisor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    access_log_record_official(
        viewer=supervisor,
        reads=[(e.learner_id, "caselogentry", e.pk, str(e)) for e in page.object_list],
    )
    return render(request, "caselog/verify.html", {"page": page})


@login_required
@require_POST
def entry_verify(request: HttpRequest, pk: int) -> HttpResponse:
    entry = entry_for_supervisor(user=_user(request), pk=pk)
    if entry is None:
        raise Http404
    services.caselog_entry_verify(entry=entry, by=_user(request))
    messages.success(request, f"Verified: {entry.procedure.name} for {entry.learner.name}.")
    return redirect("caselog-verify-list")


@login_required
def procedure_index(request: HttpRequest, program_id: int) -> HttpResponse:
    """The program's procedure list with minimums: add or change one, or import a CSV."""
    program = program_listed_by(user=_user(request), program_id=program_id)
    if program is None:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    form = ProcedureForm(request.POST if action == "save" else None)
    upload = ProcedureUploadForm(
        request.POST if action == "import" else None,
        request.FILES if action == "import" else None,
    )
    errors: list[services.ProcedureProblem] = []
    if action == "save" and form.is_valid():
        try:
            procedure, created = services.procedure_save(
                program=program, by=_user(request), **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{procedure.code} {'added' if created else 'changed'}.")
            return redirect("caselog-procedures", program_id=program.pk)
    if action == "import" and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            if file.size > services.IMPORT_MAX_BYTES:
                raise services.ProcedureImportError(
                    [services.ProcedureProblem(0, "", "The file is larger than 1 MB.")]
                )
            added, changed = services.procedures_import(
                program=program, by=_user(request), data=file.read()
            )
        except services.ProcedureImportError as error:
            errors = error.errors
        else:
            messages.success(request, f"Imported: {added} added, {changed} changed.")
            return redirect("caselog-procedures", program_id=program.pk)
    context: dict[str, Any] = {
        "program": program,
        "tab": "procedures",
        "procedures": procedures_of(program=program),
        "form": form,
        "upload": upload,
        "errors": errors,
        "columns": services.IMPORT_COLUMNS,
        "export_columns": COLUMNS,
    }
    return render(
        request,
        "caselog/procedures.html",
        context,
        status=400 if request.method == "POST" else 200,
    )

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from frameworks import exporters
from frameworks.case import PATH as CASE_PATH
from frameworks.importers import FORMATS, as_format
from frameworks.selectors import framework_detail, framework_list


@login_required
def framework_index(request: HttpRequest) -> HttpResponse:
    return render(request, "frameworks/list.html", {"frameworks": framework_list()})


@login_required
def framework_show(request: HttpRequest, code: str, version: str) -> HttpResponse:
    framework = get_object_or_404(framework_detail(), code=code, version=version)
    competencies = list(framework.competencies.all())
    domains = [c for c in competencies if c.parent_id is None]
    children: dict[int, list[object]] = {}
    for competency in competencies:
        if competency.parent_id is not None:
            children.setdefault(competency.parent_id, []).append(competency)
    tree = [(domain, children.get(domain.pk, [])) for domain in domains]
    return render(request, "frameworks/detail.html", {"framework": framework, "tree": tree})


@login_required
def framework_download(request: HttpRequest, code: str, version: str, fmt: str) -> HttpResponse:
    """The framework version as a file: our JSON schema or CSV layout, a CASE package or
    MedBiquitous XML (each importable as is)."""
    file_format = as_format(fmt) if fmt in FORMATS else None
    if file_format is None:
        raise Http404
    framework = get_object_or_404(framework_detail(), code=code, version=version)
    content = exporters.export_file(
        framework, file_format, case_base=request.build_absolute_uri(CASE_PATH)
    )
    response = HttpResponse(content, content_type=exporters.CONTENT_TYPES[file_format])
    filename = exporters.export_filename(framework, file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

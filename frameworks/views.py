from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

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

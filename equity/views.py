"""Equity pages: the learner's own characteristics, the equity view for directors and the
institution, and an assessor's private signal (docs/equity.md)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from equity import services
from equity.forms import PREFER_NOT, CharacteristicsForm
from equity.measures import MEASURES
from equity.models import EquityFit
from equity.selectors import (
    EquityScopes,
    assessor_signals_for,
    categories_for,
    categories_of_institutions,
    characteristic_uses_of,
    characteristics_of,
    equity_fit_for,
    equity_scopes_for,
)
from equity.suppression import MIN_LEARNERS

USES_SHOWN = 20


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def characteristics(request: HttpRequest) -> HttpResponse:
    """The learner's own answers: record, change or clear them; who sees what; each use."""
    learner = _user(request)
    categories = list(categories_for(learner=learner))
    answers = {a.category_id: a for a in characteristics_of(owner=learner)}
    form = CharacteristicsForm(
        request.POST if request.method == "POST" else None,
        categories=categories,
        answers=answers,
    )
    if request.method == "POST" and form.is_valid():
        try:
            for category in categories:
                choice = form.cleaned_data.get(category.key) or ""
                if not choice:
                    services.characteristic_delete(learner=learner, category_key=category.key)
                elif choice == PREFER_NOT:
                    services.characteristic_record(
                        learner=learner, category_key=category.key, option_key=None,
                        prefer_not_to_say=True,
                    )  # fmt: skip
                else:
                    services.characteristic_record(
                        learner=learner, category_key=category.key, option_key=choice
                    )
        except services.CharacteristicError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved. Only you can see your answers.")
            return redirect("equity-characteristics")
    return render(
        request,
        "equity/characteristics.html",
        {
            "form": form,
            "answers": answers,
            "categories": categories,
            "uses": characteristic_uses_of(owner=learner)[:USES_SHOWN],
            "min_learners": MIN_LEARNERS,
        },
    )


@login_required
@require_POST
def characteristic_delete(request: HttpRequest, key: str) -> HttpResponse:
    if not services.characteristic_delete(learner=_user(request), category_key=key):
        raise Http404
    messages.success(request, "Deleted. It will not be counted in any later analysis.")
    return redirect("equity-characteristics")


def _scope_choices(scopes: EquityScopes) -> list[tuple[str, str]]:
    choices = [(f"program:{p.pk}", p.name) for p in scopes.programs]
    choices += [(f"institution:{i.pk}", f"{i.name} — all programs") for i in scopes.institutions]
    return choices


@login_required
def equity_view(request: HttpRequest) -> HttpResponse:
    """Directors (their programs) and the institution: the stored fit of one scope and
    category, one competency at a time. Reads stored numbers only; 404 for anyone else."""
    viewer = _user(request)
    scopes = equity_scopes_for(viewer=viewer)
    if not scopes:
        raise Http404
    choices = _scope_choices(scopes)
    scope = request.GET.get("scope") or choices[0][0]
    if scope not in dict(choices):
        raise Http404
    kind, _, raw_id = scope.partition(":")
    institution_ids = {p.institution_id for p in scopes.programs} | {
        i.pk for i in scopes.institutions
    }
    categories = list(categories_of_institutions(institution_ids=institution_ids))
    category_key = request.GET.get("category") or (categories[0].key if categories else "")
    fit = equity_fit_for(
        viewer=viewer,
        category_key=category_key,
        program_id=int(raw_id) if kind == "program" else None,
        institution_id=int(raw_id) if kind == "institution" else None,
        scopes=scopes,
    )
    context: dict[str, Any] = {
        "scope_choices": choices,
        "scope": scope,
        "categories": categories,
        "category_key": category_key,
        "fit": fit,
        "min_learners": MIN_LEARNERS,
        "measures": MEASURES,
    }
    if fit is not None:
        context.update(_fit_tables(fit, request.GET.get("competency")))
    return render(request, "equity/view.html", context)


def _fit_tables(fit: EquityFit, competency_raw: str | None) -> dict[str, Any]:
    groups = {g["key"]: g["label"] for g in fit.groups}
    periods = fit.periods
    competencies: dict[int, str] = {}
    for cell in fit.cells:
        if cell["competency"] is not None:
            competencies.setdefault(cell["competency"], cell["competency_code"])
    ordered = sorted(competencies.items(), key=lambda kv: kv[1])
    try:
        chosen = int(competency_raw) if competency_raw else None
    except ValueError:
        chosen = None
    if chosen not in competencies:
        shown = [e["competency"] for e in fit.estimates if e["competency"] is not None]
        chosen = shown[0] if shown else (ordered[0][0] if ordered else None)
    wanted = list(MEASURES)
    # Trends: one row per measure × training year × group, one column per period.
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    for cell in fit.cells:
        if cell["competency"] not in (chosen, None):
            continue
        key = (cell["measure"], cell["training_year"], cell["group"])
        rows.setdefault(key, {})[cell["period"]] = cell
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (measure, year, group), by_period in sorted(
        rows.items(), key=lambda kv: (wanted.index(kv[0][0]), kv[0][1], kv[0][2])
    ):
        tables[measure].append(
            {
                "year": year,
                "group": groups.get(group, group),
                "cells": [by_period.get(p["key"]) for p in periods],
            }
        )
    estimates = [
        {**e, "group_label": groups.get(e["group"], e["group"]),
         "reference_label": groups.get(e["reference"], e["reference"]),
         "measure_label": MEASURES[e["measure"]]}
        for e in fit.estimates
        if e["competency"] in (chosen, None)
    ]  # fmt: skip
    return {
        "competencies": ordered,
        "competency": chosen,
        "tables": [(m, MEASURES[m], tables[m]) for m in wanted if tables.get(m)],
        "estimates": estimates,
        "periods": periods,
        "suppressed_count": sum(1 for c in fit.cells if c["suppressed"]),
    }


@login_required
def assessor_signal(request: HttpRequest) -> HttpResponse:
    """The assessor's own signal, beside their leniency: nobody else's, ever."""
    signals = list(assessor_signals_for(assessor=_user(request)))
    for signal in signals:
        labels = {o.key: o.label for o in signal.category.options.all()}
        signal.labelled = [  # type: ignore[attr-defined]
            {**row, "group_label": labels.get(row["group"], row["group"]),
             "reference_label": labels.get(row["reference"], row["reference"])}
            for row in signal.rows
        ]  # fmt: skip
    return render(
        request,
        "equity/assessor_signal.html",
        {"signals": signals, "min_learners": MIN_LEARNERS},
    )

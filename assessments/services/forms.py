"""Writes for assessment forms: a program builds a form from parts — what it rates, the scale,
narrative prompts and optional questions — and may define a scale of its own with anchors.

Rules, all checked before anything is written (otherwise nothing is):

- the form rates EPAs or sub-competencies; chosen items are ratable items of a framework of
  the program, of that kind;
- the scale is the framework's own, a shipped one (O-SCORE, Chen, Zwisch) or the program's
  own (2–10 levels, distinct values in tenths between 0 and 9.9, each with a label);
- a mapping to milestone levels is allowed only on another scale than the framework's own,
  and covers every level of the scale with a milestone level (0–5 in half steps);
- prompts are short; at most five optional ones, each asked once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from assessments.models import AssessmentForm
from frameworks.models import Competency, Framework, RatingScale, ScaleLevel
from frameworks.scales import shipped_scales_ensure
from programs.models import Program

PROMPT_MAX = 200
NAME_MAX = 120
LABEL_MAX = 120
ANCHOR_MAX = 400
MIN_LEVELS, MAX_LEVELS = 2, 10
# The framework's own scale, as the scale choice of a form.
FRAMEWORK_SCALE = "framework"
CUSTOM_SCALE = "custom"
MILESTONE_LEVELS = {Decimal(v) / 2 for v in range(11)}


@dataclass(frozen=True)
class LevelInput:
    """One level of a scale a program defines."""

    value: Decimal | str
    label: str
    anchor: str = ""


def _decimal(raw: object) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _check_levels(levels: Sequence[LevelInput], errors: dict[str, list[str]]) -> list[ScaleLevel]:
    if not MIN_LEVELS <= len(levels) <= MAX_LEVELS:
        errors.setdefault("levels", []).append(f"A scale has {MIN_LEVELS} to {MAX_LEVELS} levels.")
        return []
    rows: list[ScaleLevel] = []
    seen: set[Decimal] = set()
    for number, level in enumerate(levels, start=1):
        value = _decimal(level.value)
        if value is None or not Decimal(0) <= value <= Decimal("9.9") or value != round(value, 1):
            errors.setdefault("levels", []).append(
                f"Level {number}: the value is a number from 0 to 9.9, in tenths."
            )
            continue
        if value in seen:
            errors.setdefault("levels", []).append(f"Level {number}: the value {value} repeats.")
            continue
        seen.add(value)
        label, anchor = level.label.strip(), level.anchor.strip()
        if not label or len(label) > LABEL_MAX:
            errors.setdefault("levels", []).append(
                f"Level {number}: give a label of at most {LABEL_MAX} characters."
            )
        if len(anchor) > ANCHOR_MAX:
            errors.setdefault("levels", []).append(
                f"Level {number}: the anchor is at most {ANCHOR_MAX} characters."
            )
        rows.append(ScaleLevel(value=value, label=label, anchor=anchor))
    return rows


def _check_mapping(
    mapping: Mapping[str, object], values: set[Decimal], errors: dict[str, list[str]]
) -> dict[str, str]:
    """The mapping keyed by each scale value's plain text, every level covered."""
    if not mapping:
        return {}
    result: dict[str, str] = {}
    for raw_key, raw_level in mapping.items():
        key, level = _decimal(raw_key), _decimal(raw_level)
        if key is None or key not in values:
            errors.setdefault("milestone_mapping", []).append(f"{raw_key} is not on the scale.")
            continue
        if level is None or level not in MILESTONE_LEVELS:
            errors.setdefault("milestone_mapping", []).append(
                f"{raw_key} maps to {raw_level}: give a milestone level from 0 to 5 in half steps."
            )
            continue
        result[f"{key.normalize():f}"] = f"{level.normalize():f}"
    missing = {f"{v.normalize():f}" for v in values} - result.keys()
    if missing and "milestone_mapping" not in errors:
        errors["milestone_mapping"] = [
            "Map every level of the scale, or none: missing "
            + ", ".join(sorted(missing, key=Decimal))
            + "."
        ]
    return result


def _check_items(
    program: Program, rates: str, competency_ids: Sequence[int], errors: dict[str, list[str]]
) -> list[Competency]:
    ids = list(dict.fromkeys(int(pk) for pk in competency_ids))
    if not ids:
        return []
    kind = Framework.Kind.EPA if rates == AssessmentForm.Rates.EPA else Framework.Kind.MILESTONES
    found = list(
        Competency.objects.ratable().filter(
            pk__in=ids, framework__in=program.frameworks.all(), framework__kind=kind
        )
    )
    if len(found) != len(ids):
        errors["competencies"] = [
            f"Choose {AssessmentForm.Rates(rates).label.lower()} of this program's frameworks."
        ]
    return found


def assessment_form_create(
    *,
    program: Program,
    by: User,
    name: str,
    rates: str,
    scale: str = FRAMEWORK_SCALE,
    levels: Sequence[LevelInput] = (),
    scale_name: str = "",
    competency_ids: Sequence[int] = (),
    went_well_prompt: str = "",
    next_step_prompt: str = "",
    optional_prompts: Sequence[str] = (),
    milestone_mapping: Mapping[str, object] | None = None,
) -> AssessmentForm:
    """A program's new form. `scale` is "framework" (each framework's own), the code of a
    shipped scale, or "custom" with `levels` (and `scale_name`) defining the program's own."""
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        errors["name"] = [f"Name the form (at most {NAME_MAX} characters)."]
    elif AssessmentForm.objects.filter(program=program, name=name).exists():
        errors["name"] = ["The program already has a form of that name."]
    if rates not in AssessmentForm.Rates.values:
        errors["rates"] = ["Choose EPAs or sub-competencies."]
    prompts = {
        "went_well_prompt": went_well_prompt.strip() or "What went well",
        "next_step_prompt": next_step_prompt.strip() or "One thing to work on next",
    }
    for field, text in prompts.items():
        if len(text) > PROMPT_MAX:
            errors[field] = [f"At most {PROMPT_MAX} characters."]
    optional = [p.strip() for p in optional_prompts if p.strip()]
    if len(optional) > AssessmentForm.MAX_OPTIONAL_PROMPTS:
        errors["optional_prompts"] = [
            f"At most {AssessmentForm.MAX_OPTIONAL_PROMPTS} optional questions."
        ]
    elif len(set(optional)) != len(optional) or any(len(p) > PROMPT_MAX for p in optional):
        errors["optional_prompts"] = [
            f"Ask each optional question once, in at most {PROMPT_MAX} characters."
        ]
    chosen_scale: RatingScale | None = None
    new_levels: list[ScaleLevel] = []
    values: set[Decimal] = set()
    if scale == CUSTOM_SCALE:
        new_levels = _check_levels(levels, errors)
        values = {level.value for level in new_levels}
        if len(scale_name.strip()) > NAME_MAX:
            errors["scale_name"] = [f"At most {NAME_MAX} characters."]
    elif scale != FRAMEWORK_SCALE:
        shipped_scales_ensure()
        chosen_scale = (
            RatingScale.objects.filter(code=scale, kind__in=RatingScale.SHIPPED_KINDS)
            .prefetch_related("levels")
            .first()
        )
        if chosen_scale is None:
            errors["scale"] = ["Choose the framework's own scale, a listed scale, or your own."]
        else:
            values = chosen_scale.allowed_values()
    mapping: dict[str, str] = {}
    if milestone_mapping:
        if scale == FRAMEWORK_SCALE:
            errors["milestone_mapping"] = ["The framework's own scale needs no mapping."]
        else:
            mapping = _check_mapping(milestone_mapping, values, errors)
    items = _check_items(program, rates, competency_ids, errors) if "rates" not in errors else []
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            if scale == CUSTOM_SCALE:
                chosen_scale = RatingScale.objects.create(
                    code=f"program-{program.pk}-{uuid.uuid4().hex[:12]}",
                    name=scale_name.strip() or f"{name} scale",
                    kind=RatingScale.Kind.CUSTOM,
                )
                for level in new_levels:
                    level.scale = chosen_scale
                ScaleLevel.objects.bulk_create(new_levels)
            form = AssessmentForm.objects.create(
                program=program,
                name=name,
                rates=rates,
                scale=chosen_scale,
                optional_prompts=optional,
                milestone_mapping=mapping,
                created_by=by,
                **prompts,
            )
            form.competencies.set(items)
    except IntegrityError as error:  # the same name saved twice at once
        raise ValidationError({"name": ["The program already has a form of that name."]}) from error
    return form


def assessment_form_retire(*, form: AssessmentForm) -> AssessmentForm:
    """Stop offering a program's form for new requests; its ratings stay as they are."""
    if form.program_id is None:
        raise ValidationError("The shipped forms are offered in every program.")
    form.is_active = False
    form.save(update_fields=["is_active"])
    return form


SHIPPED_FORMS = (
    (AssessmentForm.SHIPPED_MILESTONES, "Milestone levels", AssessmentForm.Rates.MILESTONES),
    (AssessmentForm.SHIPPED_EPA, "EPA entrustment", AssessmentForm.Rates.EPA),
)


def shipped_forms_ensure() -> dict[str, AssessmentForm]:
    """The two shipped forms, created if missing (migration 0011 creates them; bulk loaders
    that empty the tables call this before writing ratings). Keyed by what they rate."""
    return {
        rates: AssessmentForm.objects.get_or_create(
            code=code, defaults={"name": name, "rates": rates}
        )[0]
        for code, name, rates in SHIPPED_FORMS
    }

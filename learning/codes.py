"""Clinical code helpers: system names, ICD-10-CM normal form and parent codes."""

from __future__ import annotations

import re

from learning.models import ICD10CM, SNOMED

# Short names accepted in catalogue files, next to the canonical FHIR system URIs.
SYSTEM_ALIASES = {
    "snomed": SNOMED,
    "sct": SNOMED,
    "snomedct": SNOMED,
    SNOMED: SNOMED,
    "icd10cm": ICD10CM,
    "icd-10-cm": ICD10CM,
    "icd10": ICD10CM,
    ICD10CM: ICD10CM,
}
SYSTEM_LABELS = {SNOMED: "SNOMED CT", ICD10CM: "ICD-10-CM"}

_ICD10CM_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_SNOMED_RE = re.compile(r"^[1-9][0-9]{5,17}$")


def system_of(name: str) -> str | None:
    """The canonical system URI for a name or URI, or None when we do not know it."""
    return SYSTEM_ALIASES.get(name.strip().lower().rstrip("/"))


def normalise_code(system: str, code: str) -> str | None:
    """The code in our stored form (ICD-10-CM upper case with its dot), or None if malformed."""
    code = code.strip()
    if system == ICD10CM:
        code = code.upper()
        if "." not in code and len(code) > 3:
            code = f"{code[:3]}.{code[3:]}"
        return code if _ICD10CM_RE.match(code) else None
    if system == SNOMED:
        return code if _SNOMED_RE.match(code) else None
    return None


def icd10_parents(code: str) -> list[str]:
    """Broader ICD-10-CM codes, nearest first: E11.651 → E11.65, E11.6, E11."""
    if "." not in code:
        return []
    category, detail = code.split(".", 1)
    parents = [f"{category}.{detail[:n]}" for n in range(len(detail) - 1, 0, -1)]
    return [*parents, category]


def icd10_category(code: str) -> str:
    return code.split(".", 1)[0]


def code_label(system: str, code: str) -> str:
    return f"{SYSTEM_LABELS.get(system, system)} {code}"

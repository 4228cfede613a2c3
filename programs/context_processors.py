"""The navigation: which sections a person sees (from their program roles), its links, and
the entry of the page shown."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from core.reversing import url_by_id
from programs.middleware import program_roles
from programs.models import ProgramRole

# The links of the site header and the portfolio menu, and the portfolio's add buttons, by
# template key. They are the same on every page, so each is reversed once per script prefix
# rather than ~25 times per page.
NAV_URL_NAMES = {
    "home": "home",
    "progress": "progress",
    "progress_monthly": "progress-monthly",
    "checkins": "checkin-start",
    "evidence_create": "evidence-create",
    "goal_create": "goal-create",
    "about_me": "equity-characteristics",
    "evidence": "evidence-list",
    "goals": "goal-list",
    "sharing": "share-list",
    "shared_with_me": "shared-with-me",
    "access_log": "access-log",
    "timeline": "portfolio-timeline",
    "transfer": "transfer-list",
    "cpd": "cpd-diary",
    "caselog": "caselog",
    "practice": "practice",
    "handovers": "handover-list",
    "groups": "group-list",
    "credentials": "credential-list",
    "assessor_inbox": "assessor-inbox",
    "received": "assessments-received",
    "coaching": "coaching-home",
    "coaching_inbox": "coaching-inbox",
    "programs": "program-list",
    "learning": "learning-recommendations",
    "admin": "admin:index",
    "frameworks": "framework-list",
    "email": "account_email",
    "password": "account_change_password",
    "mfa": "mfa_index",
    "api_tokens": "api-token-list",
    "logout": "account_logout",
    "login": "account_login",
    "signup": "account_signup",
    "api_docs": "api-docs",
    "equity": "equity-view",
}


@lru_cache(maxsize=8)
def nav_urls(script_prefix: str) -> dict[str, str]:
    """`NAV_URL_NAMES` reversed under `script_prefix` (which `reverse` reads itself)."""
    return {key: reverse(name) for key, name in NAV_URL_NAMES.items()}


# The header's and the portfolio menu's entry each page belongs to (marked as the current
# page), by URL name, else by the name's prefix: one lookup per request rather than a dozen
# comparisons in the templates.
_SECTION_OF_URL = {
    "home": "home",
    "progress": "progress",
    "progress-monthly": "progress",
    "checkin-start": "checkins",
    "checkin-form": "checkins",
    "checkin-list": "checkins",
    "checkin-detail": "checkins",
    "evidence-list": "evidence",
    "evidence-detail": "evidence",
    "evidence-create": "evidence",
    "evidence-edit": "evidence",
    "goal-list": "goals",
    "goal-detail": "goals",
    "goal-create": "goals",
    "goal-edit": "goals",
    "share-list": "sharing",
    "shared-with-me": "shared_with_me",
    "access-log": "access_log",
    "portfolio-timeline": "timeline",
    "transfer-list": "transfer",
    "transfer-detail": "transfer",
    "coaching-inbox": "inbox",
    "credential-list": "credentials",
    "caselog": "caselog",
    "caselog-entry-create": "caselog",
    "caselog-procedures": "programs",
}
_SECTION_OF_PREFIX = (
    ("coaching-", "coaching"),
    ("program-", "programs"),
    ("learning-", "learning"),
    ("xapi-incoming", "learning"),
    ("cpd-", "cpd"),
    ("practice", "timeline"),
    ("handover-received", "programs"),
    ("handover-", "handovers"),
    ("group-", "groups"),
)


def nav_section(url_name: str | None) -> str:
    """The navigation entry a page named `url_name` belongs to; "" for none."""
    if not url_name:
        return ""
    section = _SECTION_OF_URL.get(url_name)
    if section is not None:
        return section
    for prefix, section in _SECTION_OF_PREFIX:
        if url_name.startswith(prefix):
            return section
    return ""


def navigation(request: HttpRequest) -> dict[str, object]:
    """Which navigation sections the current person should see, from their roles, the
    navigation's links and the entry of the page shown."""
    user = request.user
    urls = nav_urls(get_script_prefix())
    match = request.resolver_match
    section = nav_section(match.url_name if match is not None else None)
    if not user.is_authenticated:
        return {"nav_roles": set(), "nav_urls": urls, "nav_section": section}
    roles = program_roles(request).get()
    return {
        "nav_urls": urls,
        "nav_section": section,
        "nav_roles": roles,
        "nav_is_assessor": bool(roles.intersection(ProgramRole.ASSESSOR_ROLES)),
        "nav_is_coach": "coach" in roles,
        "nav_leads_program": bool(roles.intersection(ProgramRole.REVIEW_ROLES)),
        "nav_is_admin": user.is_staff,
    }


# A program's tabs (`programs/_nav.html`) and the URL each opens, all taking the program's id
# but the equity view, which takes it as its scope.
PROGRAM_TAB_URL_NAMES = {
    "heatmap": "program-heatmap",
    "meeting": "program-meeting",
    "flags": "program-flags",
    "distributions": "program-distributions",
    "periods": "program-periods",
    "enrollments": "program-enrollments",
    "roster": "program-roster",
    "cohorts": "program-cohorts",
    "roles": "program-roles",
    "invitations": "program-invitations",
    "rotations": "rotation-schedule",
    "evaluations": "rotation-completion",
    "procedures": "caselog-procedures",
    "expectations": "program-expectations",
    "settings": "program-detail",
}


def tab_urls(program_id: int) -> dict[str, str]:
    """The links of `program_id`'s tabs, by tab: each URL is reversed once per process
    (`url_by_id`), not on every page."""
    urls = {tab: url_by_id(name)(program_id) for tab, name in PROGRAM_TAB_URL_NAMES.items()}
    urls["equity"] = f"{nav_urls(get_script_prefix())['equity']}?scope=program:{program_id}"
    return urls

"""What a learner sees of the statements about them: their incoming learning.

Only the learner reads these; nobody else does unless the learner shares the evidence made
from a statement (through the portfolio's sharing rules, like any evidence).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import Q, QuerySet

from accounts.models import User
from frameworks.models import Competency
from programs.selectors import frameworks_in_use
from xapi.models import CompetencyMapping, IncomingDecision, LrsClient, Statement
from xapi.validation import VOIDED_VERB


def learner_keys(*, learner: User) -> list[str]:
    """The actor identifiers that name this learner: verified emails and the site account."""
    emails = {
        address.lower()
        for address in EmailAddress.objects.filter(user=learner, verified=True).values_list(
            "email", flat=True
        )
    }
    keys = [f"account:{settings.XAPI_ACCOUNT_HOMEPAGE}|{learner.email}"]
    for email in sorted(emails):
        mbox = f"mailto:{email}"
        keys.append(f"mbox:{mbox}")
        keys.append(
            f"mbox_sha1sum:{hashlib.sha1(mbox.encode(), usedforsecurity=False).hexdigest()}"
        )
    return keys


def statements_about(*, learner: User, keys: list[str]) -> QuerySet[Statement]:
    return Statement.objects.filter(actor_ifi__in=keys, voided=False).exclude(verb_id=VOIDED_VERB)


def incoming_for(*, learner: User, keys: list[str]) -> QuerySet[Statement]:
    """Statements about the learner they have neither accepted nor dismissed, newest first."""
    return (
        statements_about(learner=learner, keys=keys)
        .exclude(decisions__learner=learner)
        .select_related("client")
        .order_by("-seq")
    )


def incoming_statement(*, learner: User, statement_id: str) -> Statement | None:
    """One undecided statement about the learner, or None (the page answers 404)."""
    keys = learner_keys(learner=learner)
    return incoming_for(learner=learner, keys=keys).filter(statement_id=statement_id).first()


def clients_reading_about(*, learner: User, keys: list[str]) -> QuerySet[LrsClient]:
    """Clients that can read statements about the learner: those that stored them, and those
    an administrator let read everything."""
    stored = statements_about(learner=learner, keys=keys).values("client_id")
    return LrsClient.objects.active().filter(Q(pk__in=stored) | Q(reads_all=True)).order_by("name")


@dataclass(frozen=True)
class Suggestion:
    competency: Competency
    reason: str


def competency_codes(data: dict[str, Any]) -> list[str]:
    """Codes in the competency extension (result or context), as the client sent them."""
    iri = f"{settings.XAPI_ACCOUNT_HOMEPAGE}/xapi/extensions/competencies"
    codes: list[str] = []
    for holder in (data.get("result", {}), data.get("context", {})):
        value = holder.get("extensions", {}).get(iri)
        items = value if isinstance(value, list) else [value]
        codes += [item for item in items if isinstance(item, str)]
    return codes


def activity_of(data: dict[str, Any]) -> dict[str, Any]:
    target = data.get("object", {})
    return target if target.get("objectType", "Activity") == "Activity" else {}


def suggestions_for(
    *, learner: User, statements: Iterable[Statement]
) -> dict[int, list[Suggestion]]:
    """Competencies suggested for each statement, from the admins' mapping of activity ids
    and types and from the competency extension; only from the learner's frameworks."""
    statements = list(statements)
    ids, types, codes = set(), set(), set()
    for row in statements:
        activity = activity_of(row.data)
        if activity:
            ids.add(activity["id"])
            if "type" in activity.get("definition", {}):
                types.add(activity["definition"]["type"])
        codes.update(competency_codes(row.data))
    if not statements:
        return {}
    in_use = frameworks_in_use(learner=learner).values("pk")
    mappings = list(
        CompetencyMapping.objects.filter(
            Q(activity_id__in=ids) | Q(activity_type__in=types), competency__framework__in=in_use
        ).select_related("competency")
    )
    by_code = (
        {
            c.code: c
            for c in Competency.objects.filter(code__in=codes, framework__in=in_use).order_by("pk")
        }
        if codes
        else {}
    )
    result: dict[int, list[Suggestion]] = {}
    for row in statements:
        activity = activity_of(row.data)
        activity_type = activity.get("definition", {}).get("type")
        found: dict[int, Suggestion] = {}
        for mapping in mappings:
            if activity and (
                mapping.activity_id == activity["id"]
                or (activity_type and mapping.activity_type == activity_type)
            ):
                found.setdefault(
                    mapping.competency_id, Suggestion(mapping.competency, "mapped activity")
                )
        for code in competency_codes(row.data):
            if code in by_code:
                found.setdefault(by_code[code].pk, Suggestion(by_code[code], "sent by the client"))
        result[row.seq] = list(found.values())
    return result


def incoming_decision(*, learner: User, statement_id: str) -> IncomingDecision | None:
    """The learner's earlier answer about a statement, or None: what a repeated accept or
    dismiss (a retry) finds once the statement has left the incoming list."""
    return (
        IncomingDecision.objects.filter(learner=learner, statement__statement_id=statement_id)
        .select_related("evidence")
        .first()
    )

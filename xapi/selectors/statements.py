"""Reads of the learning record store; every access rule for statements is here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from xapi.models import LrsClient, Statement, StatementActivity, StatementAgent


def statements_visible_to(client: LrsClient) -> QuerySet[Statement]:
    """A client reads the statements it stored, or every statement if granted `reads_all`."""
    if client.reads_all:
        return Statement.objects.all()
    return Statement.objects.filter(client=client)


@dataclass(frozen=True)
class StatementQuery:
    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    after_seq: int | None = None


def statements_matching(client: LrsClient, query: StatementQuery) -> QuerySet[Statement]:
    """Statements a client may read that match the filters, in the order asked for.

    A statement that points (StatementRef) at a matching statement matches too, as the
    specification asks; voided statements never appear.
    """
    visible = statements_visible_to(client)
    matching = visible
    filtered = False
    if query.agent is not None:
        agents = StatementAgent.objects.filter(ifi=query.agent)
        if not query.related_agents:
            agents = agents.filter(direct=True)
        matching = matching.filter(seq__in=agents.values("statement_id"))
        filtered = True
    if query.activity is not None:
        activities = StatementActivity.objects.filter(activity_id=query.activity)
        if not query.related_activities:
            activities = activities.filter(direct=True)
        matching = matching.filter(seq__in=activities.values("statement_id"))
        filtered = True
    if query.verb is not None:
        matching = matching.filter(verb_id=query.verb)
        filtered = True
    if query.registration is not None:
        matching = matching.filter(registration=query.registration)
        filtered = True
    result = visible.filter(voided=False)
    if filtered:
        result = result.filter(
            Q(seq__in=matching.values("seq")) | Q(ref_target__in=matching.values("statement_id"))
        )
    if query.since is not None:
        result = result.filter(stored__gt=query.since)
    if query.until is not None:
        result = result.filter(stored__lte=query.until)
    if query.after_seq is not None:
        if query.ascending:
            result = result.filter(seq__gt=query.after_seq)
        else:
            result = result.filter(seq__lt=query.after_seq)
    return result.order_by("seq" if query.ascending else "-seq")

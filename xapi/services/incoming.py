"""A learner's decisions about statements about them: accept as evidence, or dismiss."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from accounts.models import User
from portfolio.models import Evidence
from portfolio.services import evidence_create
from xapi.models import IncomingDecision, Statement, StatementAttachment
from xapi.selectors.incoming import learner_keys
from xapi.services.retention import attachments_delete_orphaned
from xapi.summary import summarise


def incoming_accept(
    *, learner: User, statement: Statement, competency_ids: Sequence[int]
) -> Evidence:
    """Turn a statement about the learner into external evidence with the chosen competencies.

    Safe to repeat (a double submit): the second call returns the evidence of the first.
    """
    existing = IncomingDecision.objects.filter(learner=learner, statement=statement).first()
    if existing is not None and existing.evidence is not None:
        return existing.evidence
    summary = summarise(statement.data)
    lines = [f"{summary.verb.capitalize()}: {summary.activity}."]
    if summary.outcome():
        lines.append(f"Result: {summary.outcome()}.")
    lines.append(f"Recorded by {statement.client.name} (xAPI statement {statement.statement_id}).")
    try:
        with transaction.atomic():
            evidence = evidence_create(
                learner=learner,
                kind=Evidence.Kind.EXTERNAL,
                title=f"{summary.verb.capitalize()}: {summary.activity}"[:200],
                body="\n\n".join(lines),
                occurred_on=summary.occurred_on,
                competency_ids=competency_ids,
                external_source=statement.client.name[:200],
                external_id=str(statement.statement_id),
            )
            IncomingDecision.objects.create(
                learner=learner,
                statement=statement,
                status=IncomingDecision.Status.ACCEPTED,
                evidence=evidence,
            )
    except IntegrityError:
        # Another request decided first; its evidence stands, this one was rolled back.
        decided = IncomingDecision.objects.get(learner=learner, statement=statement)
        if decided.evidence is None:
            raise
        return decided.evidence
    return evidence


@transaction.atomic
def xapi_erase_for_user(*, user: User) -> None:
    """Erasure (docs/privacy.md): the person's decisions on incoming learning and the
    statements whose actor is them (by their verified emails or site account). Evidence made
    from statements is the portfolio's and goes with it."""
    keys = learner_keys(learner=user)
    IncomingDecision.objects.filter(learner=user).delete()
    about = Statement.objects.filter(actor_ifi__in=keys)
    hashes = set(
        StatementAttachment.objects.filter(statement__in=about).values_list("sha2", flat=True)
    )
    about.delete()
    attachments_delete_orphaned(candidates=hashes)


def incoming_dismiss(*, learner: User, statement: Statement) -> None:
    """Hide a statement from the learner's incoming learning; repeating it changes nothing."""
    IncomingDecision.objects.get_or_create(
        learner=learner,
        statement=statement,
        defaults={"status": IncomingDecision.Status.DISMISSED},
    )

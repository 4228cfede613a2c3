"""What others have shared with a person, from every app that shares: portfolios shared whole
(share grants to the person, or to a committee they sit on; a coachee's share with their
coach is one of these), single items shared to their learning groups, and handovers sent to
programs they review. It composes portfolio, groups and handovers, so it lives above them.

Each list reads through its app's selector. Titles of learners' items that the page shows are
appended to each learner's access log (one INSERT per kind); who shares and which scopes is
the grant, not an item, and is not logged (as on the portfolio's own "shared with me" list).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from groups.selectors import items_shared_with
from handovers.models import Handover
from handovers.selectors import handovers_received_by
from portfolio.models import AccessLog, Scope, ShareGrant
from portfolio.selectors import learners_sharing_with, scope_of
from portfolio.services import access_log_entry, access_log_record_official

# Each list shows the newest this many; the full lists are on their own pages.
PEOPLE_LIMIT = 50
ITEMS_LIMIT = 50
HANDOVERS_LIMIT = 20


@dataclass
class SharedPerson:
    learner: User
    scopes: list[str]  # scope labels, in Scope order


@dataclass
class SharedWithMe:
    people: list[SharedPerson]
    people_total: int
    group_items: list[ShareGrant]  # with learner, evidence or goal, and circle.group loaded
    handovers: list[Handover]

    @property
    def empty(self) -> bool:
        return not (self.people or self.group_items or self.handovers)


def _log_group_items(viewer: User, grants: list[ShareGrant]) -> None:
    now = timezone.now()
    rows = []
    for grant in grants:
        item = grant.evidence or grant.goal
        if item is None:
            continue
        rows.append(
            access_log_entry(
                learner_id=grant.learner_id,
                viewer=viewer,
                grant=grant,
                scope=scope_of(item),
                item_type="goal" if grant.goal_id else "evidence",
                item_id=item.pk,
                label=item.title,
                action=AccessLog.Action.LIST,
                at=now,
            )
        )
    if rows:
        AccessLog.objects.bulk_create(rows)


def shared_with(*, viewer: User) -> SharedWithMe:
    """Everything shared with `viewer` now, each list newest or by name, reads logged."""
    labels = dict(Scope.choices)
    everyone = learners_sharing_with(viewer=viewer)
    people = [
        SharedPerson(learner, [str(labels[s]) for s in Scope.values if s in scopes])
        for learner, scopes in everyone[:PEOPLE_LIMIT]
    ]
    items = [
        grant
        for grant in items_shared_with(viewer=viewer)[:ITEMS_LIMIT]
        if grant.evidence_id is not None or grant.goal_id is not None
    ]
    handovers = list(handovers_received_by(viewer=viewer)[:HANDOVERS_LIMIT])
    _log_group_items(viewer, items)
    if handovers:
        access_log_record_official(
            viewer=viewer,
            reads=[(h.learner_id, "handover", h.pk, h.label) for h in handovers],
            action=AccessLog.Action.LIST,
        )
    return SharedWithMe(
        people=people, people_total=len(everyone), group_items=items, handovers=handovers
    )

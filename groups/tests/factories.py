"""Groups for tests, written through the services as a person would."""

from __future__ import annotations

from typing import Any

from groups.models import LearningGroup, Membership
from groups.services import group_create, group_invitation_accept, group_invite


def group_with(creator: Any, *members: Any, name: str = "Study group") -> LearningGroup:
    """A group started by `creator` whose `members` accepted their invitations."""
    group = group_create(creator=creator, name=name)
    for member in members:
        group_invitation_accept(
            membership=group_invite(group=group, inviter=creator, email=member.email)
        )
    return group


def invite(group: LearningGroup, inviter: Any, person: Any, role: str = "member") -> Membership:
    return group_invite(group=group, inviter=inviter, email=person.email, role=role)

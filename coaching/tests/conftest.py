from __future__ import annotations

import pytest

from coaching import services


@pytest.fixture
def coaching(learner, coach):
    """An active relationship in which the learner shares goals, check-ins and evidence
    (not reflections) with the coach."""
    rel = services.relationship_invite(
        learner=learner, coach_email=coach.email, share_scopes=["goals", "checkins", "evidence"]
    )
    return services.relationship_accept(relationship=rel, by=coach)

"""Timeline entries and progress notes that existed before they had a public_id get one each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("portfolio", "0003_evidence_self_assessments")]
AFTER = [("portfolio", "0004_timeline_and_progress_note_public_ids")]


def migrate(targets: list[tuple[str, str]]) -> Apps:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def latest_afterwards(transactional_db: None) -> Iterator[None]:
    try:
        yield
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_afterwards")
def test_existing_timeline_entries_and_progress_notes_get_distinct_public_ids() -> None:
    old = migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(email="old@example.org", password="-")
    for year in (2020, 2021):
        old.get_model("portfolio", "TimelineEntry").objects.create(
            learner_id=user.pk,
            institution_name="School",
            program_name="MD",
            stage="ume",
            start_date=dt.date(year, 8, 1),
        )
    goal = old.get_model("portfolio", "Goal").objects.create(
        learner_id=user.pk, title="t", measure="m", target_date=dt.date(2026, 1, 1)
    )
    for text in ("one", "two"):
        old.get_model("portfolio", "GoalProgressNote").objects.create(goal_id=goal.pk, text=text)

    new = migrate(AFTER)
    for name in ("TimelineEntry", "GoalProgressNote"):
        ids = list(new.get_model("portfolio", name).objects.values_list("public_id", flat=True))
        assert len(ids) == 2
        assert None not in ids
        assert len(set(ids)) == 2

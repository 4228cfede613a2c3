"""Statements stored before attachments had link rows get one per hash they name, so pruning
them later deletes their content too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("xapi", "0002_incoming_learning")]
AFTER = [("xapi", "0003_attachment_links")]


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
def test_stored_statements_get_a_link_per_attachment_hash_they_name() -> None:
    old = migrate(BEFORE)
    client = old.get_model("xapi", "LrsClient").objects.create(name="Old", key="k", secret_hash="h")
    statement_model = old.get_model("xapi", "Statement")

    def store(data: dict[str, object]) -> int:
        row = statement_model.objects.create(
            statement_id=uuid.uuid4(), client=client, data=data, stored=timezone.now(), verb_id="v"
        )
        return int(row.pk)

    plain = store({"object": {"id": "http://e.org/a"}})
    top = store(
        {"object": {"id": "http://e.org/a"}, "attachments": [{"sha2": "aa"}, {"sha2": "bb"}]}
    )
    inner = store(
        {
            "object": {"objectType": "SubStatement", "attachments": [{"sha2": "cc"}]},
            "attachments": [{"sha2": "aa"}],
        }
    )

    new = migrate(AFTER)
    links = set(
        new.get_model("xapi", "StatementAttachment").objects.values_list("statement", "sha2")
    )
    assert links == {(top, "aa"), (top, "bb"), (inner, "aa"), (inner, "cc")}
    assert plain not in {statement for statement, _ in links}

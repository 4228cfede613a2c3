from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from equity.services import equity_fits_refresh
from equity.tests.factories import TODAY, EquityWorld, equity_world


@pytest.fixture(scope="module")
def fitted(django_db_setup, django_db_blocker) -> Iterator[EquityWorld]:
    """One fitted equity world per test module (building it takes seconds), rolled back at
    the module's end; each test runs in its own savepoint inside it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = equity_world()
            equity_fits_refresh(institution=world.program.institution, today=TODAY)
            yield world
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

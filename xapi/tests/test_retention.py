"""Statements about nobody in Continuum are kept for XAPI_UNCLAIMED_DAYS, then deleted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from xapi.models import Statement, StatementAgent
from xapi.services.retention import statements_prune_unclaimed
from xapi.tests.helpers import new_lrs, statement

pytestmark = pytest.mark.django_db


def about(email: str) -> dict:
    return statement(actor={"mbox": f"mailto:{email}"})


def test_unclaimed_statements_go_after_the_period_and_claimed_ones_stay(learner, settings):
    settings.XAPI_UNCLAIMED_DAYS = 30
    lrs = new_lrs()
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
        [unknown_old] = lrs.store(about("stranger@example.org"))
        [mine_old] = lrs.store(about("LEARNER@example.org"))
    with time_machine.travel(dt.datetime(2026, 1, 25, tzinfo=dt.UTC)):
        [unknown_recent] = lrs.store(about("stranger@example.org"))

    with time_machine.travel(dt.datetime(2026, 2, 5, tzinfo=dt.UTC)):
        statements_prune_unclaimed()
        again = statements_prune_unclaimed()

    left = {str(pk) for pk in Statement.objects.values_list("statement_id", flat=True)}
    assert left == {mine_old, unknown_recent}
    assert unknown_old not in left
    assert again == 0
    assert not StatementAgent.objects.filter(statement__statement_id=unknown_old).exists()


def test_prune_command_reports_what_it_deleted(capsys, settings):
    settings.XAPI_UNCLAIMED_DAYS = 0
    new_lrs().store(about("stranger@example.org"))

    call_command("prune_unclaimed_statements")

    assert "Deleted" in capsys.readouterr().out
    assert not Statement.objects.exists()

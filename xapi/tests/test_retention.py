"""Statements about nobody in Continuum are kept for XAPI_UNCLAIMED_DAYS, then deleted."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.management import call_command

from privacy.services import account_erase
from xapi.models import Attachment, Statement, StatementAgent, StatementAttachment
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


def test_pruning_deletes_attachment_content_no_remaining_statement_names(learner, settings):
    settings.XAPI_UNCLAIMED_DAYS = 30
    lrs = new_lrs()
    only_pruned, shared, kept_by_learner = b"stranger's trace", b"shared trace", b"ecg strip"
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
        lrs.store_with_attachments(about("stranger@example.org"), only_pruned, shared)
        lrs.store_with_attachments(about("learner@example.org"), kept_by_learner)
    with time_machine.travel(dt.datetime(2026, 1, 25, tzinfo=dt.UTC)):
        [recent] = [lrs.store_with_attachments(about("other@example.org"), shared)]

    with time_machine.travel(dt.datetime(2026, 2, 5, tzinfo=dt.UTC)):
        statements_prune_unclaimed()

    left = set(Attachment.objects.values_list("content", flat=True))
    assert {bytes(content) for content in left} == {shared, kept_by_learner}
    assert set(StatementAttachment.objects.values_list("statement__statement_id", flat=True)) == {
        Statement.objects.get(actor_ifi__contains="learner@").statement_id,
        uuid.UUID(recent),
    }

    with time_machine.travel(dt.datetime(2026, 3, 5, tzinfo=dt.UTC)):
        statements_prune_unclaimed()

    assert [bytes(c) for c in Attachment.objects.values_list("content", flat=True)] == [
        kept_by_learner
    ]
    response = lrs.get(
        "statements", {"agent": '{"mbox": "mailto:learner@example.org"}', "attachments": "true"}
    )
    assert kept_by_learner in response.content


def test_erasure_deletes_the_attachments_of_the_statements_about_the_person(learner):
    lrs = new_lrs()
    lrs.store_with_attachments(about(learner.email), b"my trace", b"common")
    lrs.store_with_attachments(about("someone@example.org"), b"common")

    account_erase(user=learner)

    assert {bytes(c) for c in Attachment.objects.values_list("content", flat=True)} == {b"common"}

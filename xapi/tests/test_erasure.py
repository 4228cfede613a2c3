"""Erasing an account removes the person's incoming-learning decisions and the statements
about them; statements about others stay."""

from __future__ import annotations

import pytest

from privacy.services import account_erase
from xapi.models import IncomingDecision, Statement
from xapi.services.incoming import incoming_dismiss
from xapi.tests.helpers import new_lrs, statement

pytestmark = pytest.mark.django_db


def test_erasure_removes_decisions_and_statements_about_the_person(learner):
    lrs = new_lrs()
    [mine] = lrs.store(statement(actor={"mbox": f"mailto:{learner.email}"}))
    [theirs] = lrs.store(statement(actor={"mbox": "mailto:someone@example.org"}))
    incoming_dismiss(learner=learner, statement=Statement.objects.get(statement_id=mine))

    account_erase(user=learner)

    assert not IncomingDecision.objects.exists()
    assert [str(s) for s in Statement.objects.values_list("statement_id", flat=True)] == [theirs]

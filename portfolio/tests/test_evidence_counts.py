"""The learners' evidence counts (`portfolio.counts`), which the evidence list's "page n of N"
reads, stay equal to their items through every write, and `check_evidence_counts` proves it."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.db import read_together
from portfolio import services, transfer
from portfolio.counts import evidence_counts_add, evidence_counts_differences
from portfolio.models import Evidence, EvidenceCount
from portfolio.selectors import own_evidence_count_read
from portfolio.tests.factories import EvidenceFactory
from portfolio.tests.test_reimport import rewritten, run_import
from portfolio.tests.test_transfer import fill_portfolio
from tests import factories as base

pytestmark = pytest.mark.django_db

KINDS = ("", "case_log", "reflection", "certificate", "document")


def counted(learner) -> dict[str, int]:
    """What the list would say for each kind ("": all), read from the counts."""
    answers = read_together(*(own_evidence_count_read(learner=learner, kind=k) for k in KINDS))
    return dict(zip(KINDS, answers, strict=True))


def actual(learner) -> dict[str, int]:
    items = Evidence.objects.filter(learner=learner)
    return {k: (items.filter(kind=k) if k else items).count() for k in KINDS}


def test_counts_follow_adding_and_deleting_through_the_services(learner):
    for kind in ("case_log", "case_log", "reflection"):
        services.evidence_create(learner=learner, kind=kind, title=f"A {kind}")
    assert counted(learner) == actual(learner) == {
        "": 3, "case_log": 2, "reflection": 1, "certificate": 0, "document": 0
    }  # fmt: skip

    services.evidence_delete(evidence=Evidence.objects.filter(kind="case_log").first())
    assert counted(learner) == actual(learner)
    assert counted(learner)["case_log"] == 1
    assert evidence_counts_differences() == (0, 0, [])


def test_erasing_a_portfolio_leaves_no_count(learner):
    services.evidence_create(learner=learner, kind="document", title="A letter")
    services.portfolio_erase_for_user(user=learner, label="A former learner")
    assert counted(learner)[""] == 0
    assert not EvidenceCount.objects.filter(learner=learner, n__gt=0).exists()


def test_an_import_that_adds_items_and_changes_their_kinds_keeps_the_counts(
    learner, program, leaves, assessor
):
    fill_portfolio(learner, program, leaves, assessor)
    other = base.UserFactory()
    archive = transfer.archive_bytes(learner=learner)
    run_import(other, archive)
    assert counted(other) == actual(other)
    assert counted(other)[""] == 2

    def certificate_becomes_document(document):
        for item in document["evidence"]:
            if item["kind"] == "certificate":
                item["kind"] = "document"
                item["updated_at"] = "2099-01-01T00:00:00Z"  # newer than the copy here

    done = run_import(other, rewritten(archive, certificate_becomes_document))
    assert done.report["updated"] == {"evidence": 1}
    assert counted(other) == actual(other)
    assert (counted(other)["certificate"], counted(other)["document"]) == (0, 1)
    assert evidence_counts_differences() == (0, 0, [])


def test_changes_to_one_count_add_up_and_leave_the_others_alone(learner, other_learner):
    evidence_counts_add(learner_id=learner.pk, by_kind={"case_log": 3, "reflection": 1})
    evidence_counts_add(learner_id=learner.pk, by_kind={"case_log": -1})
    evidence_counts_add(learner_id=other_learner.pk, by_kind={"case_log": 5})
    assert counted(learner)["case_log"] == 2
    assert counted(learner)[""] == 3
    assert counted(other_learner)[""] == 5


def test_the_check_finds_a_count_that_drifted_and_a_rebuild_mends_it(learner, capsys):
    EvidenceFactory(learner=learner)
    call_command("check_evidence_counts")
    assert "equal the items" in capsys.readouterr().out

    Evidence.objects.create(learner=learner, kind="case_log", title="Written around the services")
    with pytest.raises(CommandError, match="differ from the items"):
        call_command("check_evidence_counts")
    assert f"learner {learner.pk} has 2 items of kind case_log" in capsys.readouterr().err

    call_command("check_evidence_counts", "--rebuild")
    assert counted(learner)["case_log"] == 2


def test_the_list_says_how_many_pages_from_the_counts(client, learner):
    for _ in range(26):
        EvidenceFactory(learner=learner)
    EvidenceFactory(learner=learner, kind="reflection")
    client.force_login(learner)
    assert "Page 1 of 2<" in client.get(reverse("evidence-list")).content.decode()
    only_reflections = client.get(reverse("evidence-list"), {"kind": "reflection"})
    assert "Page 1 of" not in only_reflections.content.decode()  # one page: no pager

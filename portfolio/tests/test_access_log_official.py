"""Reads of the official record by program staff land in the learner's access log."""

from __future__ import annotations

import pytest

from portfolio.models import RECORDS_SCOPE, AccessLog
from portfolio.services import access_log_record_official


@pytest.mark.django_db
def test_a_directors_read_of_a_learners_record_is_logged_for_that_learner(director, learner):
    written = access_log_record_official(
        viewer=director, reads=[(learner.pk, "reviewpacket", 7, "Review packet, spring 2026")]
    )
    assert written == 1
    entry = AccessLog.objects.get(learner=learner)
    assert entry.viewer == director
    assert entry.scope == RECORDS_SCOPE
    assert entry.get_scope_display() == "Official record (assessments, reviews)"
    assert entry.item_label == "Review packet, spring 2026"


@pytest.mark.django_db
def test_reading_your_own_record_is_not_logged(learner):
    assert (
        access_log_record_official(viewer=learner, reads=[(learner.pk, "assessment", 1, "x")]) == 0
    )
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_many_learners_are_logged_in_one_insert(
    director, learner, other_learner, django_assert_num_queries
):
    reads = [
        (learner.pk, "heatmap", None, "Cohort heatmap"),
        (other_learner.pk, "heatmap", None, "Cohort heatmap"),
    ]
    with django_assert_num_queries(1):  # the single bulk INSERT
        access_log_record_official(viewer=director, reads=reads, action=AccessLog.Action.LIST)
    assert set(AccessLog.objects.values_list("learner_id", flat=True)) == {
        learner.pk,
        other_learner.pk,
    }

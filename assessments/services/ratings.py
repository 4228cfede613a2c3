"""Deleting ratings, for data-protection requests and test data, with their summaries kept exact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from assessments.models import Assessment, CheckIn, MonthlyRatingSummary, SelfAssessment
from assessments.summaries.monthly import assessor_summaries_refresh, monthly_summaries_refresh

RatedBy = MonthlyRatingSummary.RatedBy


def ratings_delete(records: QuerySet[Any]) -> int:
    """Delete check-ins (with their ratings), self-assessments or assessments, and keep every
    summary built from them exact, in one transaction. Ratings are records: only the admin's
    data-protection path removes them. Returns the number of rows deleted."""
    model = records.model
    with transaction.atomic():
        if model is CheckIn:
            rated = SelfAssessment.objects.filter(checkin__in=records)
        elif model in (SelfAssessment, Assessment):
            rated = records
        else:
            raise TypeError(f"{model.__name__} is not a rating")
        day = "observed_on" if model is Assessment else "assessed_on"
        touched: dict[int, list[tuple[int, dt.date]]] = {}  # learner → (competency, date)
        for learner_id, competency_id, on in rated.values_list("learner_id", "competency_id", day):
            touched.setdefault(learner_id, []).append((competency_id, on))
        deleted, _ = records.delete()
        for learner_id, ratings in sorted(touched.items()):
            competency_ids = [competency_id for competency_id, _ in ratings]
            if model is Assessment:
                assessor_summaries_refresh(
                    learner_id=learner_id,
                    competency_ids=competency_ids,
                    days=[on for _, on in ratings],
                )
            else:
                monthly_summaries_refresh(
                    learner_id=learner_id, rated_by=RatedBy.SELF, competency_ids=competency_ids
                )
    return deleted

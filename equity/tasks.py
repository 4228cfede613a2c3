"""Celery tasks of the equity app: thin, keyed, safe to run twice (a refit stores the same
numbers over the old ones)."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from equity import services
from equity.models import CharacteristicCategory, EquityFit
from programs.models import Institution, ReviewPeriod


@shared_task(name="equity.fits_refresh", ignore_result=True)
def fits_refresh(institution_id: int) -> int:
    """Fit an institution's equity view from its closed periods; the number of fits stored."""
    institution = Institution.objects.filter(pk=institution_id).first()
    if institution is None:
        return 0
    return services.equity_fits_refresh(institution=institution).fits


@shared_task(name="equity.closed_periods_fit", ignore_result=True)
def closed_periods_fit() -> int:
    """Beat, daily: for each institution that asks about characteristics, a fit once a period
    has closed since its last one (or if it has none). The number of fits queued."""
    today = timezone.localdate()
    queued = 0
    ids = CharacteristicCategory.objects.filter(is_active=True).values_list(
        "institution_id", flat=True
    )
    for institution_id in sorted(set(ids)):
        closed = ReviewPeriod.objects.filter(
            program__institution_id=institution_id, end_date__lt=today
        ).aggregate(last=Max("end_date"))["last"]
        if closed is None:
            continue
        fitted = EquityFit.objects.filter(institution_id=institution_id).aggregate(
            last=Max("data_through")
        )["last"]
        if fitted is None or fitted < closed:
            transaction.on_commit(partial(fits_refresh.delay, institution_id))
            queued += 1
    return queued

"""Celery tasks: thin wrappers that take keys, load, and call learning.services.

All are safe to run twice: digests are claimed once per learner and day, pulls upsert visits
by FHIR resource id.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task

from learning import services
from learning.models import PractitionerLink

logger = logging.getLogger(__name__)


@shared_task(name="learning.visit_digests_send", ignore_result=True)
def visit_digests_send(day: str | None = None) -> int:
    """Beat, every evening: the digest for tomorrow's clinics (or `day`, ISO format)."""
    return services.visit_digests_send(day=dt.date.fromisoformat(day) if day else None)


@shared_task(name="learning.fhir_sources_pull", ignore_result=True)
def fhir_sources_pull() -> int:
    """Beat, hourly: queue one pull per learner linked to an active FHIR server."""
    link_ids = list(
        PractitionerLink.objects.filter(
            source__isnull=False, source__is_active=True, learner__is_active=True
        ).values_list("pk", flat=True)
    )
    for link_id in link_ids:
        fhir_pull.delay(link_id)
    return len(link_ids)


@shared_task(name="learning.fhir_pull", ignore_result=True)
def fhir_pull(link_id: int) -> int:
    """Pull one learner's upcoming appointments; the error is kept on the source if it fails."""
    link = PractitionerLink.objects.select_related("source", "learner").filter(pk=link_id).first()
    if link is None:
        return 0
    try:
        report = services.visits_pull(link=link)
    except services.PullError as exc:
        logger.warning("FHIR pull for link %s failed: %s", link_id, exc)
        return 0
    return report.kept

"""FHIR pulls as jobs: rows first, messages second (the scheme of portfolio.transfer).

Beat (hourly) writes one FhirPull row per linked learner and sends its message after commit;
with the broker down the row waits and the sweeper (beat, every minute, and each worker at
start) sends it again. The worker takes a pull with a conditional UPDATE (pending → running),
so however many messages arrive a pull runs once; a claim older than STALE_CLAIM_AFTER is a
dead worker's and is freed to run again. Pulls upsert visits by FHIR resource id, so even a
pull that runs again after a crash doubles nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from learning.models import FhirPull, PractitionerLink
from learning.services import PullError, visits_pull

logger = logging.getLogger(__name__)

# A pull still waiting this long missed its message; a claim this old is a dead worker's.
REQUEUE_AFTER = dt.timedelta(seconds=60)
STALE_CLAIM_AFTER = dt.timedelta(minutes=15)


def fhir_pull_enqueue(pull: FhirPull) -> bool:
    """Hand a pull to the broker. Never raises and never waits for a dead broker: the row is
    written, and the sweeper sends it again if this message is lost."""
    # Imported here: the tasks module imports this one to run the pulls.
    from learning.tasks import fhir_pull

    try:
        fhir_pull.apply_async((pull.pk,), retry=False)
    except Exception:
        logger.warning("could not queue FHIR pull %s; the sweeper will send it", pull.pk)
        return False
    return True


def fhir_pull_start(*, link: PractitionerLink) -> FhirPull | None:
    """Write a pull for the link and send it after commit; None if one is already waiting or
    running (it will fetch the same appointments)."""
    try:
        with transaction.atomic():
            pull = FhirPull.objects.create(link=link)
            transaction.on_commit(partial(fhir_pull_enqueue, pull))
    except IntegrityError:
        return None
    return pull


def fhir_pulls_start_all() -> int:
    """A pull for every learner linked to an active FHIR server; returns how many were written."""
    links = PractitionerLink.objects.filter(
        source__isnull=False, source__is_active=True, learner__is_active=True
    )
    return sum(fhir_pull_start(link=link) is not None for link in links)


def _claim(pull_id: int) -> FhirPull | None:
    taken = FhirPull.objects.filter(pk=pull_id, status=FhirPull.Status.PENDING).update(
        status=FhirPull.Status.RUNNING, claimed_at=timezone.now()
    )
    if not taken:
        return None
    return FhirPull.objects.select_related("link__source", "link__learner").get(pk=pull_id)


def fhir_pull_run(*, pull_id: int) -> FhirPull | None:
    """Run a waiting pull; None when another worker has it or it is finished. A server that
    cannot be read fails the pull (the error is kept on it and on the source)."""
    pull = _claim(pull_id)
    if pull is None:
        return None
    try:
        report = visits_pull(link=pull.link)
    except PullError as error:
        _finish(pull, FhirPull.Status.FAILED, error=str(error)[:500])
        logger.warning("FHIR pull %s failed: %s", pull.pk, error)
        return pull
    except Exception as error:
        _finish(pull, FhirPull.Status.FAILED, error=f"The pull failed: {error}"[:500])
        raise
    _finish(pull, FhirPull.Status.DONE, kept=report.kept)
    return pull


def _finish(pull: FhirPull, status: str, *, kept: int = 0, error: str = "") -> None:
    FhirPull.objects.filter(pk=pull.pk).update(
        status=status, kept=kept, error=error, finished_at=timezone.now()
    )
    pull.refresh_from_db()


def fhir_pulls_sweep(*, now: dt.datetime | None = None) -> int:
    """Free dead workers' claims and send again the pulls whose message was lost; returns the
    pulls sent."""
    now = now or timezone.now()
    FhirPull.objects.filter(
        status=FhirPull.Status.RUNNING, claimed_at__lt=now - STALE_CLAIM_AFTER
    ).update(status=FhirPull.Status.PENDING, claimed_at=None)
    waiting = FhirPull.objects.filter(
        status=FhirPull.Status.PENDING, created_at__lt=now - REQUEUE_AFTER
    )
    return sum(fhir_pull_enqueue(pull) for pull in waiting)

"""A worker killed in the middle of an import leaves nothing half-written: no record is
written until the last file is copied (then all in one transaction), the job stays claimed
until the sweeper frees the dead worker's claim, and the run that follows imports everything
once, overwriting the dead run's copies rather than leaving them behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from portfolio import transfer
from portfolio.models import Evidence, PortfolioTransfer
from portfolio.tests.test_transfer import PDF
from tests import factories as base
from tests.redis_server import RedisServer, celery_on, free_port, wait_until, worker

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

FILES = 300
REPO = Path(__file__).resolve().parents[2]
WORKER = [
    sys.executable,
    "-m",
    "celery",
    "-A",
    "config",
    "worker",
    "--pool",
    "solo",
    "-l",
    "WARNING",
]


@pytest.fixture
def broker(monkeypatch, settings, tmp_path) -> Iterator[RedisServer]:
    monkeypatch.setenv("CELERY_SKIP_CHECKS", "1")
    settings.MEDIA_ROOT = tmp_path
    server = RedisServer(free_port())
    server.start()
    try:
        with celery_on(server):
            yield server
    finally:
        server.stop()


def _archive_with_files(count: int) -> bytes:
    """An export of another learner's portfolio of `count` evidence items, each with a PDF."""
    owner = base.UserFactory()
    items = []
    for n in range(count):
        data = PDF + os.urandom(64 * 1024)  # incompressible: copying takes a moment
        name = default_storage.save(f"evidence/{owner.pk}/{n}.pdf", ContentFile(data))
        items.append(
            Evidence(
                learner=owner,
                kind=Evidence.Kind.DOCUMENT,
                title=f"Certificate {n}",
                file=name,
                file_name=f"certificate-{n}.pdf",
                file_type="application/pdf",
                file_size=len(data),
                file_sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    Evidence.objects.bulk_create(items)
    return transfer.archive_bytes(learner=owner)


def _worker_process(broker: RedisServer, media_root: Path) -> subprocess.Popen[bytes]:
    """A real Celery worker in its own process (so it can be killed), on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker.url,
        "MEDIA_ROOT": str(media_root),
        "CELERY_SKIP_CHECKS": "1",
    }
    return subprocess.Popen(
        [*WORKER, "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _copied(media_root: Path, learner) -> set[str]:
    folder = media_root / "evidence" / str(learner.pk)
    return {p.name for p in folder.glob("*")} if folder.exists() else set()


def test_a_worker_killed_while_importing_leaves_nothing_half_written_and_the_job_runs_again(
    learner, broker, settings
):
    archive = _archive_with_files(FILES)
    job = transfer.portfolio_import_start(
        learner=learner, upload=SimpleUploadedFile("p.zip", archive, "application/zip")
    )
    process = _worker_process(broker, settings.MEDIA_ROOT)
    try:
        # Killed as soon as it has copied some files: in the middle of the import.
        assert wait_until(lambda: PortfolioTransfer.objects.get(pk=job.pk).done > 0, seconds=60), (
            "the worker never started the import"
        )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    job.refresh_from_db()
    assert (job.status, job.step) == (PortfolioTransfer.Status.RUNNING, "Copying files")
    assert 0 < job.done < FILES
    assert not Evidence.objects.filter(learner=learner).exists()
    left_behind = _copied(settings.MEDIA_ROOT, learner)
    assert 0 < len(left_behind) < FILES

    # The sweeper frees the dead worker's claim and sends the job again; a live worker runs it.
    later = timezone.now() + transfer.STALE_CLAIM_AFTER + transfer.REQUEUE_AFTER
    assert transfer.transfers_sweep(now=later) == 1
    with worker():
        assert wait_until(
            lambda: PortfolioTransfer.objects.get(pk=job.pk).status == "done", seconds=120
        )
    imported = Evidence.objects.filter(learner=learner)
    assert imported.count() == FILES
    # Every file once: the dead run's copies were overwritten, not left beside the new ones.
    names = {Path(e.file.name).name for e in imported}
    assert len(names) == FILES
    assert _copied(settings.MEDIA_ROOT, learner) == names
    assert left_behind <= names

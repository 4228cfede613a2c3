"""An archive whose JSON members expand far beyond their size is refused without unpacking
them: a few hundred KB that would become hundreds of MB never reach memory."""

from __future__ import annotations

import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portfolio import transfer
from tests.memory import BUDGET_MB, peak_mb

pytestmark = pytest.mark.django_db

EXPANDED = 300 * 1024 * 1024  # what the bomb's member unpacks to: 1,000 times its ZIP


def _bomb(path, member: str) -> None:
    """A ZIP of ~300 KB whose `member` unpacks to 300 MB of spaces, written in chunks."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        other = transfer.DOCUMENT if member == transfer.MANIFEST else transfer.MANIFEST
        archive.writestr(other, json.dumps({"schema": transfer.SCHEMA}))
        with archive.open(member, "w", force_zip64=True) as target:
            chunk = b" " * (1024 * 1024)
            for _ in range(EXPANDED // len(chunk)):
                target.write(chunk)


@pytest.mark.parametrize("member", [transfer.MANIFEST, transfer.DOCUMENT])
def test_an_archive_whose_json_expands_a_thousandfold_is_refused_in_the_api(
    client, learner, tmp_path, member
):
    path = tmp_path / "bomb.zip"
    _bomb(path, member)
    assert path.stat().st_size < 2 * 1024 * 1024
    client.force_login(learner)
    upload = SimpleUploadedFile("bomb.zip", path.read_bytes(), content_type="application/zip")
    response = client.post("/api/v1/imports/", {"archive": upload})
    assert response.status_code == 400
    assert f"{member} unpacks to more than" in json.dumps(response.json())


def test_checking_the_bomb_stays_far_below_the_memory_budget(tmp_path):
    path = tmp_path / "bomb.zip"
    _bomb(path, transfer.MANIFEST)
    peak, printed = peak_mb(
        f"""
        from portfolio import transfer
        try:
            with open({str(path)!r}, "rb") as handle:
                transfer.read_archive(handle)
        except transfer.ArchiveInvalidError as error:
            print(error.messages[0])
        """
    )
    assert "manifest.json unpacks to more than" in printed
    assert peak < BUDGET_MB, f"peak {peak} MB"

"""Static file URLs are worked out once per name (config/staticstorage.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles.storage import StaticFilesStorage

from core.staticstorage import CompressedManifestStaticFiles, StaticFiles


def test_a_static_url_is_the_storages_own_and_worked_out_once():
    storage = StaticFiles()
    first = storage.url("css/app.css")
    assert first == StaticFilesStorage().url("css/app.css") == "/static/css/app.css"
    assert storage.url("css/app.css") is first  # the same string: remembered, not rebuilt
    assert storage.url("css/a b.css") == "/static/css/a%20b.css"


def test_production_urls_are_the_manifests_hashed_names(tmp_path, settings):
    settings.DEBUG = False
    (tmp_path / "staticfiles.json").write_text(
        json.dumps(
            {"version": "1.1", "hash": "x", "paths": {"css/app.css": "css/app.0a1b2c3d.css"}}
        )
    )
    storage = CompressedManifestStaticFiles(location=str(tmp_path))
    assert storage.url("css/app.css") == "/static/css/app.0a1b2c3d.css"
    assert storage.url("css/app.css") == "/static/css/app.0a1b2c3d.css"
    # A file the manifest does not know is an error every time, never a remembered answer.
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")

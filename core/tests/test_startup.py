"""A web process settles its heap once the app is loaded (core.startup.settle_heap, called by
config/wsgi.py): every view imported, what is loaded frozen, and garbage made afterwards
still collected."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

from core.startup import settle_heap

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json, sys
import config.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(),
                  "views": sorted(m for m in ("coaching.views", "committee.views",
                                              "portfolio.api", "xapi.views") if m in sys.modules)}))
"""


def test_the_wsgi_module_loads_every_view_and_freezes_the_loaded_app():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["views"] == ["coaching.views", "committee.views", "portfolio.api", "xapi.views"]
    assert seen["frozen"] > 50_000  # the loaded app, not a handful of objects


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_garbage_made_after_settling_is_still_collected():
    try:
        frozen = settle_heap()
        # A frozen object still leaves when nothing refers to it any more (a frame's local
        # that was alive at the freeze), so the count can only have fallen since.
        assert 0 < gc.get_freeze_count() <= frozen
        made_after = _Node()
        alive = weakref.ref(made_after)
        del made_after
        gc.collect()
        assert alive() is None
    finally:
        gc.unfreeze()

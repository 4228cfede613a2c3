"""What a web process does once, after loading the app and before its first request."""

from __future__ import annotations

import gc

from django.urls import get_resolver


def settle_heap() -> int:
    """Import every view now, move everything loaded so far out of the garbage collector's
    sight (`gc.freeze`) and raise its young generation's threshold; return how many objects
    were frozen.

    A loaded app is a few hundred thousand long-lived objects (modules, classes, the URL
    patterns, settings) that are never garbage. Left in the collector's oldest generation,
    each full collection walks all of them, and a page that allocates many objects (the
    heatmap's cells) triggers one every few requests: measured on the benchmark's data, the
    collector took 16 ms per heatmap request on average (the median request was 32 ms) and
    7 ms per dashboard request, in pauses of about 200 ms that land in the slowest
    percentiles. Frozen, the same requests spent 5 ms and 0.2 ms in it.

    The young generation's threshold is raised too (`YOUNG_THRESHOLD`).
    """
    get_resolver().url_patterns  # noqa: B018 — the URLconf imports every view module
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    return gc.get_freeze_count()


# A young-generation pass starts once this many more container objects are alive than at the
# last one (CPython's default is 700). A page holds a few thousand at once while it is built
# (the progress page's 528 monthly rows, a heatmap's cells), nearly all freed by reference
# counting when it is sent; at 700 a pass came in the middle of almost every such request and
# found them alive, at about 0.5 ms a pass here. Measured on the benchmark's data over 1,000
# requests each, collector time per request at 700 → 5,000: the progress page 0.29 → 0.08 ms,
# `/evidence/` 0.11 → 0.07, `/api/v1/me/` 0.10 → 0.09; the longest pass 26 ms → 7 ms (a full
# collection no longer came within the 1,000). Much higher thresholds make each pass long
# (50,000: passes of 65–80 ms) for no saving.
YOUNG_THRESHOLD = 5_000

"""`percentiles_of_counts`: a histogram's quartiles equal `percentile` of its values spelled out."""

from __future__ import annotations

import random
from decimal import Decimal

from core.db import percentile, percentiles_of_counts

FRACTIONS = (0.25, 0.5, 0.75)


def test_a_histogram_answers_what_its_values_spelled_out_answer():
    rng = random.Random(24)
    levels = [Decimal(t) / 10 for t in range(10, 51, 5)]
    for _ in range(500):
        steps = sorted(rng.sample(levels, rng.randint(1, len(levels))))
        counts = [(level, rng.randint(1, 9)) for level in steps]
        values = [float(level) for level, n in counts for _ in range(n)]

        got = percentiles_of_counts(counts, FRACTIONS)

        # Exactly equal: the same arithmetic, not merely close.
        assert got == [percentile(values, f) for f in FRACTIONS]


def test_one_value_is_every_percentile_and_no_values_none():
    assert percentiles_of_counts([(Decimal("2.5"), 1)], FRACTIONS) == [2.5, 2.5, 2.5]
    assert percentiles_of_counts([], FRACTIONS) == [None, None, None]

"""The demo's equity view shows real numbers, with the small group withheld."""

from __future__ import annotations

import pytest

from demo import world
from demo.seed import seed_demo
from demo.tests.demo_frameworks import make_demo_frameworks
from equity.models import CharacteristicUse, EquityFit

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_full_demo_fits_an_equity_view_with_numbers_and_a_withheld_group():
    make_demo_frameworks()
    seed_demo()
    fit = EquityFit.objects.get(program__slug=world.RESIDENCY, category__key="gender")
    shown = [c for c in fit.cells if not c["suppressed"]]
    assert shown and all(c["learners"] >= 5 for c in shown)
    non_binary = [c for c in fit.cells if c["group"] == "non-binary"]
    assert non_binary and all(c["suppressed"] for c in non_binary)
    ratings = [e for e in fit.estimates if e["measure"] == "rating"]
    assert ratings and all(e["low"] <= e["estimate"] <= e["high"] for e in ratings)
    assert CharacteristicUse.objects.exists()
    assert EquityFit.objects.filter(program__isnull=True).exists()
    # Seeding again fits nothing new.
    stamp = fit.computed_at
    seed_demo()
    assert EquityFit.objects.get(pk=fit.pk).computed_at == stamp

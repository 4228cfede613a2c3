"""`Selection.build`: instances from a plain statement's values, as the ORM makes them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.signals import post_init

from core.db import Selection, fetch_all
from programs.models import Enrollment
from tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

WANTED = ("id", "learner_id", "program_id", "training_year", "start_date")
SELECTION = Selection(Enrollment, WANTED)


def _built(enrollment: Enrollment) -> Enrollment:
    table = Enrollment._meta.db_table
    sql = f"SELECT {SELECTION.columns('e')} FROM {table} e WHERE e.id = %s"
    [row] = fetch_all(sql, [enrollment.pk])
    return SELECTION.build(row)


def test_an_instance_built_reads_as_one_the_orm_loads(django_assert_num_queries):
    enrollment = EnrollmentFactory(training_year=2, start_date=dt.date(2025, 7, 1))
    built = _built(enrollment)
    loaded = Enrollment.objects.only(*WANTED).get(pk=enrollment.pk)
    for name in WANTED:
        assert getattr(built, name) == getattr(loaded, name)
    assert isinstance(built.start_date, dt.date)  # converted on SQLite, which answers text
    assert built == loaded and built._state.db == loaded._state.db == "default"
    assert built._state.adding is False
    assert built.get_deferred_fields() == loaded.get_deferred_fields() == {"cohort_id", "end_date"}
    with django_assert_num_queries(1):  # a field left out loads on first use, as deferred
        assert built.end_date is None


def test_an_instance_built_saves_as_an_update():
    enrollment = EnrollmentFactory(training_year=1)
    built = _built(enrollment)
    built.training_year = 3
    built.save(update_fields=["training_year"])
    assert Enrollment.objects.count() == 1
    enrollment.refresh_from_db()
    assert enrollment.training_year == 3


def test_init_signals_are_sent_where_someone_listens():
    enrollment = EnrollmentFactory()
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(listener, sender=Enrollment)
    try:
        built = _built(enrollment)
    finally:
        post_init.disconnect(listener, sender=Enrollment)
    assert seen == [built]
    _built(enrollment)
    assert len(seen) == 1  # no one listens any more: made without the signals

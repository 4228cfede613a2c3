"""`moment_writer` writes dates and times exactly as DRF's `DateTimeField` does."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from core.api import moment_writer

MOMENTS = [
    dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 7, 9, 30, 1, 123456, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=zoneinfo.ZoneInfo("America/Toronto")),
    dt.datetime(2026, 3, 29, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Dublin")),
    dt.datetime(1, 1, 2, 0, 0, 0, 5, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
]


# London in winter is at UTC's offset without being UTC (written Z all the same); Kathmandu
# is 5:45 ahead.
@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/London", "America/Toronto", "Asia/Kolkata", "Asia/Kathmandu"]
)
def test_each_moment_reads_as_the_serializer_field_writes_it(zone):
    field = serializers.DateTimeField()
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        write = moment_writer()
        for moment in MOMENTS:
            assert write(moment) == field.to_representation(moment)


def test_utc_is_written_z_and_nothing_is_none():
    with timezone.override(dt.UTC):
        write = moment_writer()
        assert write(MOMENTS[0]) == "2026-12-07T09:30:00Z"
        assert write(None) is None

"""Coaching meetings as iCalendar files (RFC 5545), for a person's own calendar program.

A file holds one meeting or a person's upcoming ones. Each event's UID is the meeting's public
id, so importing the file again updates the event instead of adding a second one. What goes
into a calendar leaves our hands (it syncs to phones and mail providers), so an event carries
only the time, the place, who meets and a link back: never the agenda or the notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from coaching.models import Meeting

PRODID = "-//Continuum//Coaching meetings//EN"
# RFC 5545 §3.1: lines longer than 75 octets are folded (CRLF, then one space).
FOLD_OCTETS = 75
CRLF = "\r\n"
UID_DOMAIN = "continuum.meetings"
# The personal download covers this far ahead, and at most this many meetings.
UPCOMING_DAYS = 365
UPCOMING_MAX = 200


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, line breaks
    written as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line, folded so no physical line exceeds 75 octets of UTF-8, never
    splitting a character; continuation lines start with a space (which counts)."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = FOLD_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size = " ", 1
            limit = FOLD_OCTETS
        current += char
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_uid(meeting: Meeting) -> str:
    return f"{meeting.public_id}@{UID_DOMAIN}"


def _event(meeting: Meeting, *, viewer_id: int, base_url: str) -> list[str]:
    other = meeting.learner if viewer_id == meeting.coach_id else meeting.coach
    ends = meeting.starts_at + dt.timedelta(minutes=meeting.duration_minutes)
    link = f"{base_url}/coaching/meetings/{meeting.public_id}/"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting_uid(meeting)}",
        # The last change, not the time of the download: the same meeting gives the same file.
        f"DTSTAMP:{_utc(meeting.updated_at)}",
        f"DTSTART:{_utc(meeting.starts_at)}",
        f"DTEND:{_utc(ends)}",
        f"SUMMARY:{escape_text(f'Coaching meeting with {other.name}')}",
        f"DESCRIPTION:{escape_text(f'Agenda and notes: {link}')}",
        f"URL:{link}",
        "STATUS:" + ("CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED"),
    ]
    if meeting.location:
        lines.append(f"LOCATION:{escape_text(meeting.location)}")
    lines.append("END:VEVENT")
    return lines


def calendar_file(meetings: Iterable[Meeting], *, viewer_id: int, base_url: str) -> str:
    """A VCALENDAR with one event per meeting, lines folded and ended with CRLF."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for meeting in meetings:
        lines.extend(_event(meeting, viewer_id=viewer_id, base_url=base_url.rstrip("/")))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def upcoming_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    now = now or timezone.now()
    return now, now + dt.timedelta(days=UPCOMING_DAYS)

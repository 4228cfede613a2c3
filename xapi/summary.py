"""A statement in a learner's words: the activity, what they did, how it went, who sent it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from xapi.validation import parse_timestamp

DURATION_PARTS = re.compile(r"(\d+(?:\.\d+)?)([HMS])")


def in_english(language_map: Any, fallback: str) -> str:
    if not isinstance(language_map, dict) or not language_map:
        return fallback
    for tag in ("en-US", "en-GB", "en"):
        if tag in language_map:
            return str(language_map[tag])
    for tag, text in language_map.items():
        if tag.lower().startswith("en"):
            return str(text)
    return str(next(iter(language_map.values())))


def duration_words(duration: str) -> str:
    """PT1H30M → '1 h 30 min'; anything with days or more stays as sent."""
    if not duration.startswith("PT"):
        return duration
    units = {"H": "h", "M": "min", "S": "s"}
    parts = [f"{float(n):g} {units[u]}" for n, u in DURATION_PARTS.findall(duration[2:])]
    return " ".join(parts) or duration


@dataclass(frozen=True)
class StatementSummary:
    activity: str
    verb: str
    occurred_on: date | None
    score: str
    success: bool | None
    completion: bool | None
    duration: str

    def outcome(self) -> str:
        bits = []
        if self.score:
            bits.append(f"score {self.score}")
        if self.success is not None:
            bits.append("passed" if self.success else "not passed")
        if self.completion is not None:
            bits.append("completed" if self.completion else "not completed")
        if self.duration:
            bits.append(self.duration)
        return ", ".join(bits)


def score_words(score: dict[str, Any]) -> str:
    if "raw" in score and "max" in score:
        return f"{score['raw']:g}/{score['max']:g}"
    if "scaled" in score:
        return f"{score['scaled'] * 100:.0f}%"
    if "raw" in score:
        return f"{score['raw']:g}"
    return ""


def summarise(data: dict[str, Any]) -> StatementSummary:
    target = data.get("object", {})
    definition = target.get("definition", {}) if isinstance(target, dict) else {}
    activity = in_english(definition.get("name"), str(target.get("id", "an activity")))
    verb = data.get("verb", {})
    verb_id = str(verb.get("id", ""))
    result = data.get("result", {})
    timestamp = parse_timestamp(data.get("timestamp"))
    return StatementSummary(
        activity=activity,
        verb=in_english(verb.get("display"), verb_id.rsplit("/", 1)[-1]),
        occurred_on=timestamp.date() if timestamp else None,
        score=score_words(result.get("score", {})),
        success=result.get("success"),
        completion=result.get("completion"),
        duration=duration_words(result["duration"]) if "duration" in result else "",
    )

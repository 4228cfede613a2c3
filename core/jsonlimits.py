"""How much a JSON document becomes in memory, checked before it is parsed.

A byte limit alone does not bound memory: parsed, a JSON document takes far more room than its
text (`[]` is 2 bytes of text and about 64 bytes as a Python list), so 20 MB of small
containers becomes hundreds of MB. `json_bounds_check` walks the document as a stream (ijson,
holding one token at a time) and refuses one with more values or deeper nesting than the
caller allows, naming where it stopped. A document that passes parses within a known budget.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import ijson

# A scalar, a key or an empty container costs at most about 100 bytes once parsed, so the
# limits callers choose (a million values at most) keep a parse far below 300 MB.
DEFAULT_MAX_DEPTH = 64


class JsonTooLarge(ValueError):
    """The document would parse into more than the caller allows; `path` says where, and
    `too_deep` whether nesting (rather than the number of values) is what was refused."""

    def __init__(self, message: str, path: str, *, too_deep: bool = False) -> None:
        self.message = message
        self.path = path
        self.too_deep = too_deep
        super().__init__(f"{message} (at {path})")


@dataclass
class _Frame:
    is_array: bool
    key: str = ""
    index: int = -1


def _path(stack: list[_Frame]) -> str:
    parts = ["$"]
    for frame in stack:
        parts.append(f"[{frame.index}]" if frame.is_array else f".{frame.key}")
    return "".join(parts)


def json_bounds_check(
    content: bytes | str, *, max_values: int, max_depth: int = DEFAULT_MAX_DEPTH
) -> int:
    """How many values the document holds (keys, scalars and containers each count one);
    JsonTooLarge if more than `max_values`, or nested deeper than `max_depth`.

    Malformed JSON is not reported here (the count so far is returned): the caller's parser
    names the line and column."""
    raw = content.encode() if isinstance(content, str) else content
    stack: list[_Frame] = []
    values = 0
    try:
        for event, value in ijson.basic_parse(io.BytesIO(raw), use_float=True):
            if event == "map_key":
                stack[-1].key = str(value)
            elif event in ("end_map", "end_array"):
                stack.pop()
                continue
            if stack and stack[-1].is_array:
                stack[-1].index += 1
            values += 1
            if values > max_values:
                raise JsonTooLarge(f"more than {max_values:,} values", _path(stack))
            if event in ("start_map", "start_array"):
                if len(stack) >= max_depth:
                    raise JsonTooLarge(
                        f"nested more than {max_depth} levels deep", _path(stack), too_deep=True
                    )
                stack.append(_Frame(is_array=event == "start_array"))
    except ijson.JSONError:
        pass
    return values

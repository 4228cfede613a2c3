"""Building blocks of the authorization matrix.

Each app lists its URL patterns in `<app>/tests/authz_rows.py` as `ROWS: list[Row]`. The matrix
test (tests/test_authorization_matrix.py) runs every row for every role and fails for any
named URL pattern that no row covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "learner", "other_learner", "coach", "director", "other_director", "admin")


@dataclass
class World:
    """The people every row is checked against; `learner` and `coach`/`director` share a
    program, `other_learner`/`other_director` belong to another one."""

    program: Any
    other_program: Any
    learner: Any
    other_learner: Any
    coach: Any
    director: Any
    other_director: Any
    admin: Any
    assessor: Any

    def person(self, role: str) -> Any:
        return None if role == "anonymous" else getattr(self, role)


@dataclass
class Row:
    name: str  # the URL pattern's name (with namespace, if any)
    path: Callable[[World], str]  # builds the concrete path; may create objects it needs
    expect: dict[str, int]  # role -> expected status code
    method: str = "GET"
    data: Callable[[World], dict[str, Any]] | None = None
    content_type: str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # request META, e.g. HTTP_HOST

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.expect)
        if missing:
            raise ValueError(f"row {self.name} lacks expectations for {sorted(missing)}")


def same(status: int, **overrides: int) -> dict[str, int]:
    """Every role gets `status` except the overrides: `same(404, learner=200)`."""
    expect = dict.fromkeys(ROLES, status)
    expect.update(overrides)
    return expect


def signed_in(status: int, anonymous: int = 302, **overrides: int) -> dict[str, int]:
    """An HTML page that every signed-in person may open; visitors are sent to log in."""
    return same(status, anonymous=anonymous, **overrides)

"""Authorization-matrix rows for the home app's pages and API beyond the start page (whose row
is in tests/authz_rows.py): "Shared with me" is every signed-in person's own list."""

from __future__ import annotations

from tests.authz import Row, same, signed_in

ROWS = [
    Row("shared-with-me", lambda w: "/shared-with-me/", signed_in(200)),
    Row("api-shared-with-me", lambda w: "/api/v1/shared-with-me/", same(200, anonymous=401)),
]

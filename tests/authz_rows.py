"""Matrix rows for project-level URLs (config/urls.py)."""

from tests.authz import Row, same

ROWS = [
    Row("healthz", lambda w: "/healthz", same(200)),
    Row("favicon", lambda w: "/favicon.ico", same(302)),
    Row("api-schema", lambda w: "/api/schema/", same(200)),
    Row("api-docs", lambda w: "/api/docs/", same(200)),
    Row("home", lambda w: "/", same(200)),
]

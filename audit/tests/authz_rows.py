"""Matrix rows for the audit log: institution administrators only, read only."""

from tests.authz import Row, same, signed_in

ROWS = [
    Row("audit-log", lambda w: "/audit/", signed_in(404, admin=200)),
    Row(
        "api-audit-event-list",
        lambda w: "/api/v1/audit/events/",
        same(404, anonymous=401, admin=200),
    ),
    Row(
        "api-audit-event-list",
        lambda w: "/api/v1/audit/events/",
        same(405, anonymous=401),
        method="POST",
        data=lambda w: {"action": "forged"},
        note="no operation writes to the log",
    ),
    Row(
        "api-audit-event-list",
        lambda w: "/api/v1/audit/events/",
        same(405, anonymous=401),
        method="DELETE",
    ),
]

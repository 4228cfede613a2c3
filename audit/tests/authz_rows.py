"""Matrix rows for the audit log: superusers and institution administrators, read only.

In the rows marked so, `other_director` is also made an administrator of the other program's
institution; nobody else administers one (a director of a program is not an institution
administrator)."""

from typing import Any

from tests.authz import Row, same, signed_in


def _with_institution_admin(path: str) -> Any:
    def build(w: Any) -> str:
        from programs.models import InstitutionRole

        InstitutionRole.objects.get_or_create(
            institution=w.other_program.institution, user=w.other_director
        )
        return path

    return build


ROWS = [
    Row("audit-log", lambda w: "/audit/", signed_in(404, admin=200)),
    Row(
        "audit-log",
        _with_institution_admin("/audit/"),
        signed_in(404, admin=200, other_director=200),
        note="other_director administers the other program's institution",
    ),
    Row(
        "api-audit-event-list",
        lambda w: "/api/v1/audit/events/",
        same(404, anonymous=401, admin=200),
    ),
    Row(
        "api-audit-event-list",
        _with_institution_admin("/api/v1/audit/events/"),
        same(404, anonymous=401, admin=200, other_director=200),
        note="other_director administers the other program's institution",
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

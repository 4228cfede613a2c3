"""Authorization-matrix rows for the case log: a learner's log is their own; an entry to verify
is the supervisor's it names (the program's faculty member here, no role of the matrix); the
procedure list is the program's directors' and coordinators' (and admins')."""

from __future__ import annotations

from caselog.tests.factories import CaseLogEntryFactory, ProcedureFactory
from tests.authz import Row, same, signed_in


def _entry(w, supervisor=None):
    procedure = ProcedureFactory(program=w.program)
    return CaseLogEntryFactory(
        learner=w.learner, procedure=procedure, supervisor=supervisor or w.assessor
    )


def _entry_supervised_by_director(w):
    return _entry(w, supervisor=w.director)


OWNER_ONLY_POST = same(404, anonymous=302, learner=302)
LIST_MANAGERS = signed_in(404, director=200, admin=200)

ROWS = [
    Row("caselog", lambda w: "/case-log/", signed_in(200)),
    Row("caselog-entry-create", lambda w: "/case-log/new/", signed_in(200)),
    Row(
        "caselog-entry-create",
        lambda w: "/case-log/new/",
        signed_in(400),
        method="POST",
        data=lambda w: {},
        note="an empty entry: 400 with field errors, nothing written",
    ),
    Row(
        "caselog-entry-delete",
        lambda w: f"/case-log/{_entry(w).pk}/delete/",
        OWNER_ONLY_POST,
        method="POST",
    ),
    Row("caselog-export", lambda w: "/case-log/export.csv", signed_in(200)),
    Row("caselog-verify-list", lambda w: "/case-log/verify/", signed_in(200)),
    Row(
        "caselog-entry-verify",
        lambda w: f"/case-log/{_entry_supervised_by_director(w).pk}/verify/",
        same(404, anonymous=302, director=302),
        method="POST",
        note="only the supervisor the entry names; the learner cannot verify their own",
    ),
    Row("caselog-procedures", lambda w: f"/programs/{w.program.pk}/procedures/", LIST_MANAGERS),
    Row(
        "caselog-procedures",
        lambda w: f"/programs/{w.program.pk}/procedures/",
        signed_in(404, director=400, admin=400),
        method="POST",
        data=lambda w: {"action": "save"},
        note="an empty procedure: 400 with field errors for those who keep the list",
    ),
    Row("api-caselog-entry-list", lambda w: "/api/v1/case-log/entries/", same(200, anonymous=401)),
    Row(
        "api-caselog-entry-detail",
        lambda w: f"/api/v1/case-log/entries/{_entry(w).pk}/",
        same(404, anonymous=401, learner=200),
    ),
    Row("api-caselog-totals", lambda w: "/api/v1/case-log/totals/", same(200, anonymous=401)),
    Row(
        "api-caselog-procedures",
        lambda w: "/api/v1/case-log/procedures/",
        same(200, anonymous=401),
    ),
    Row(
        "api-caselog-to-verify",
        lambda w: "/api/v1/case-log/to-verify/",
        same(200, anonymous=401),
    ),
    Row(
        "api-caselog-entry-verify",
        lambda w: f"/api/v1/case-log/entries/{_entry_supervised_by_director(w).pk}/verify/",
        same(404, anonymous=401, director=200),
        method="POST",
    ),
    Row(
        "api-program-procedures",
        lambda w: f"/api/v1/programs/{w.program.pk}/procedures/",
        same(404, anonymous=401, director=200, admin=200),
    ),
    Row(
        "api-program-procedures-import",
        lambda w: f"/api/v1/programs/{w.program.pk}/procedures/import/",
        same(404, anonymous=401, director=400, admin=400),
        method="POST",
        note="no file: 400 for those who keep the list",
    ),
]

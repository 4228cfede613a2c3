"""Authorization-matrix rows for credentials: the learner's list and download are theirs
alone; the verification page and the issuer's published documents are public by design (a
verifier anywhere must reach them); the API's verify endpoint answers anyone."""

from __future__ import annotations

from credentials.tests.factories import issued
from tests.authz import Row, same, signed_in


def _credential(w):
    return issued(program=w.program, learner=w.learner, by=w.director)


def _slug(w):
    _credential(w)
    return w.program.institution.slug


def _verify_body(w):
    return {"credential": _credential(w).document}


ROWS = [
    Row("credential-list", lambda w: "/credentials/", signed_in(200)),
    Row(
        "credential-download",
        lambda w: f"/credentials/{_credential(w).public_id}.json",
        same(404, anonymous=302, learner=200),
        note="the holder only; a director of the issuing program too gets 404",
    ),
    Row(
        "credential-verify",
        lambda w: f"/credentials/verify/{_credential(w).public_id}/",
        same(200),
        note="the link the learner shares: public by design",
    ),
    Row("credential-check", lambda w: "/credentials/verify/", same(200), note="public"),
    Row(
        "credential-check",
        lambda w: "/credentials/verify/",
        same(200),
        method="POST",
        data=lambda w: {"credential": "{}"},
        note="public: anyone may check a credential",
    ),
    Row(
        "credential-issuer",
        lambda w: f"/credentials/issuers/{_slug(w)}/did.json",
        same(200),
        note="the issuer's DID document: public keys only",
    ),
    Row(
        "credential-status-list",
        lambda w: f"/credentials/status/{_slug(w)}/",
        same(200),
        note="the signed revocation list: bits only, no names",
    ),
    Row("api-credential-list", lambda w: "/api/v1/credentials/", same(200, anonymous=401)),
    Row(
        "api-credential-detail",
        lambda w: f"/api/v1/credentials/{_credential(w).public_id}/",
        same(404, anonymous=401, learner=200),
    ),
    Row(
        "api-credential-verify",
        lambda w: "/api/v1/credentials/verify/",
        same(200),
        method="POST",
        data=_verify_body,
        content_type="application/json",
        note="anyone may check a credential",
    ),
    Row(
        "api-credential-revoke",
        lambda w: f"/api/v1/credentials/{_credential(w).public_id}/revoke/",
        same(404, anonymous=401, director=200),
        method="POST",
        data=lambda w: {"reason": "Issued in error."},
        content_type="application/json",
        note="the director of the decision's program; not the learner, not another director",
    ),
]

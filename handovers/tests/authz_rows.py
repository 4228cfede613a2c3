"""Authorization-matrix rows for handovers: the learner's own pages; the receiving program's
reviewers read a handover only once sent. Everyone else: 404."""

from __future__ import annotations

from handovers.tests.factories import HandoverFactory, sent
from tests.authz import Row, same, signed_in

OWNER_ONLY = same(404, anonymous=302, learner=200)
OWNER_ONLY_POST = same(404, anonymous=302, learner=302)


def _draft(w):
    return HandoverFactory(learner=w.learner, program=w.program)


def _sent(w):
    return sent(learner=w.learner, program=w.program)


ROWS = [
    Row("handover-list", lambda w: "/handovers/", signed_in(200)),
    Row("handover-create", lambda w: "/handovers/new/", signed_in(200)),
    Row("handover-detail", lambda w: f"/handovers/{_draft(w).public_id}/", OWNER_ONLY),
    *[
        Row(
            f"handover-{action}",
            lambda w, action=action: f"/handovers/{_draft(w).public_id}/{action}/",
            OWNER_ONLY_POST,
            method="POST",
        )
        for action in ("send", "withdraw", "refresh", "delete")
    ],
    Row("handover-received-list", lambda w: "/handovers/received/", signed_in(200)),
    Row(
        "handover-received-detail",
        lambda w: f"/handovers/received/{_sent(w).public_id}/",
        same(404, anonymous=302, director=200),
        note="the receiving program's director; not its coach, not an admin, not the learner",
    ),
    Row(
        "handover-received-detail",
        lambda w: f"/handovers/received/{_draft(w).public_id}/",
        same(404, anonymous=302),
        note="a draft is the learner's alone",
    ),
    Row("api-handover-list", lambda w: "/api/v1/handovers/", same(200, anonymous=401)),
    Row(
        "api-handover-detail",
        lambda w: f"/api/v1/handovers/{_draft(w).public_id}/",
        same(404, anonymous=401, learner=200),
    ),
    Row(
        "api-handover-send",
        lambda w: f"/api/v1/handovers/{_draft(w).public_id}/send/",
        same(404, anonymous=401, learner=200),
        method="POST",
    ),
    Row(
        "api-handover-refresh",
        lambda w: f"/api/v1/handovers/{_draft(w).public_id}/refresh/",
        same(404, anonymous=401, learner=200),
        method="POST",
    ),
    Row(
        "api-handover-withdraw",
        lambda w: f"/api/v1/handovers/{_sent(w).public_id}/withdraw/",
        same(404, anonymous=401, learner=200),
        method="POST",
    ),
    Row(
        "api-handover-received-list",
        lambda w: "/api/v1/handovers/received/",
        same(200, anonymous=401),
    ),
    Row(
        "api-handover-received-detail",
        lambda w: f"/api/v1/handovers/received/{_sent(w).public_id}/",
        same(404, anonymous=401, director=200),
    ),
]

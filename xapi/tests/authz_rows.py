"""Authorization-matrix rows for the xAPI resources.

xAPI clients authenticate with HTTP Basic credentials of an LRS client, never with a
person's session: every resource but About answers 401 to a signed-in person. Which
statements a client reads is tested in `xapi/tests/test_access.py`.
"""

from __future__ import annotations

from tests.authz import Row, same, signed_in

NEEDS_CLIENT = same(401)
AGENT = '{"mbox":"mailto:learner@example.org"}'

ROWS = [
    Row("xapi:about", lambda w: "/xapi/about", same(200)),
    Row("xapi:statements", lambda w: "/xapi/statements", NEEDS_CLIENT),
    Row(
        "xapi:state",
        lambda w: f"/xapi/activities/state?activityId=http://example.org/a&agent={AGENT}",
        NEEDS_CLIENT,
    ),
    Row(
        "xapi:activity-profile",
        lambda w: "/xapi/activities/profile?activityId=http://example.org/a",
        NEEDS_CLIENT,
    ),
    Row(
        "xapi:activities",
        lambda w: "/xapi/activities?activityId=http://example.org/a",
        NEEDS_CLIENT,
    ),
    Row("xapi:agent-profile", lambda w: f"/xapi/agents/profile?agent={AGENT}", NEEDS_CLIENT),
    Row("xapi:agents", lambda w: f"/xapi/agents?agent={AGENT}", NEEDS_CLIENT),
]


def _incoming_statement(w):
    from xapi.tests.helpers import new_lrs, statement

    [statement_id] = new_lrs("Authz").store(statement(actor={"mbox": f"mailto:{w.learner.email}"}))
    return statement_id


# Incoming learning is the learner's own: others get an empty page and 404 for the statement.
ROWS += [
    Row("xapi-incoming", lambda w: "/learning/incoming/", signed_in(200)),
    Row(
        "xapi-incoming-accept",
        lambda w: f"/learning/incoming/{_incoming_statement(w)}/accept/",
        same(404, anonymous=302, learner=302),
        method="POST",
    ),
    Row(
        "xapi-incoming-dismiss",
        lambda w: f"/learning/incoming/{_incoming_statement(w)}/dismiss/",
        same(404, anonymous=302, learner=302),
        method="POST",
    ),
]

# The same over /api/v1/: the learner's own; others 404, visitors 401.
ROWS += [
    Row("api-xapi-incoming", lambda w: "/api/v1/learning/incoming/", same(200, anonymous=401)),
    Row(
        "api-xapi-incoming-accept",
        lambda w: f"/api/v1/learning/incoming/{_incoming_statement(w)}/accept/",
        same(404, anonymous=401, learner=201),
        method="POST",
        data=lambda w: {"competencies": []},
    ),
    Row(
        "api-xapi-incoming-dismiss",
        lambda w: f"/api/v1/learning/incoming/{_incoming_statement(w)}/dismiss/",
        same(404, anonymous=401, learner=204),
        method="POST",
    ),
]

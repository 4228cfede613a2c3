"""Matrix rows for erasure: each person sees and erases only their own account."""

from tests.authz import Row, same, signed_in

ROWS = [
    Row("account-erase", lambda w: "/account/erase/", signed_in(200)),
    Row(
        "account-erase",
        lambda w: "/account/erase/",
        signed_in(200),
        method="POST",
        data=lambda w: {},
        note="without the password: the page again, with the errors; nothing erased",
    ),
    Row("account-erased", lambda w: "/account/erased/", same(200), note="says nothing"),
    Row("api-me-erase", lambda w: "/api/v1/me/erase/", same(200, anonymous=401)),
    Row(
        "api-me-erase",
        lambda w: "/api/v1/me/erase/",
        same(400, anonymous=401),
        method="POST",
        data=lambda w: {"password": "wrong", "confirm": True},
        content_type="application/json",
        note="a wrong password erases nothing",
    ),
]

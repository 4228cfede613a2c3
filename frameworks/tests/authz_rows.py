from tests.authz import Row, same, signed_in

ROWS = [
    Row("framework-list", lambda w: "/frameworks/", signed_in(200)),
    Row("framework-detail", lambda w: "/frameworks/nope/1.0/", signed_in(404)),
    Row("api-framework-list", lambda w: "/api/v1/frameworks/", same(200, anonymous=401)),
    Row("api-framework-detail", lambda w: "/api/v1/frameworks/nope/1.0/", same(404, anonymous=401)),
]

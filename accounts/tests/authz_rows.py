from tests.authz import Row, same

ROWS = [
    Row("api-me", lambda w: "/api/v1/me/", same(200, anonymous=401)),
    Row("account_login", lambda w: "/accounts/login/", same(302, anonymous=200)),
    Row("account_signup", lambda w: "/accounts/signup/", same(302, anonymous=200)),
    Row("mfa_index", lambda w: "/accounts/2fa/", same(200, anonymous=302)),
    Row("admin:index", lambda w: "/admin/", same(302, admin=200), note="non-staff: to login"),
]

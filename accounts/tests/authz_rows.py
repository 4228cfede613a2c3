from accounts.services import api_token_create
from tests.authz import Row, same, signed_in


def _learners_token_revoke_path(w):
    token, _ = api_token_create(user=w.learner, name="script")
    return f"/account/tokens/{token.pk}/revoke/"


def _learners_token_api_path(w):
    token, _ = api_token_create(user=w.learner, name="script")
    return f"/api/v1/account/tokens/{token.pk}/"


ROWS = [
    Row("api-me", lambda w: "/api/v1/me/", same(200, anonymous=401)),
    Row("account_login", lambda w: "/accounts/login/", same(302, anonymous=200)),
    Row("account_signup", lambda w: "/accounts/signup/", same(302, anonymous=200)),
    Row("mfa_index", lambda w: "/accounts/2fa/", same(200, anonymous=302)),
    Row("admin:index", lambda w: "/admin/", same(302, admin=200), note="non-staff: to login"),
    Row("api-token-list", lambda w: "/account/tokens/", signed_in(200)),
    Row(
        "api-token-revoke",
        _learners_token_revoke_path,
        same(404, anonymous=302, learner=302),
        method="POST",
        note="only the token's owner; others get 404",
    ),
    Row("api-account-token-list", lambda w: "/api/v1/account/tokens/", same(200, anonymous=401)),
    Row(
        "api-account-token-list",
        lambda w: "/api/v1/account/tokens/",
        same(201, anonymous=401),
        method="POST",
        data=lambda w: {"name": "script"},
    ),
    Row(
        "api-account-token-revoke",
        _learners_token_api_path,
        same(404, anonymous=401, learner=204),
        method="DELETE",
        note="only the token's owner; others get 404",
    ),
    Row("api-account-profile", lambda w: "/api/v1/account/profile/", same(200, anonymous=401)),
    Row(
        "api-account-profile",
        lambda w: "/api/v1/account/profile/",
        same(200, anonymous=401),
        method="PATCH",
        data=lambda w: {"display_name": "New name"},
        content_type="application/json",
    ),
    Row("api-account-mfa", lambda w: "/api/v1/account/mfa/", same(200, anonymous=401)),
]

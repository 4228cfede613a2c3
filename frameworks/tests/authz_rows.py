from tests.authz import Row, same, signed_in


def _small_framework(w) -> str:
    """A stored framework to download (frameworks are reference data: every signed-in person
    may read them)."""
    from frameworks.tests.factories import framework_tree

    framework = framework_tree(domains=1, items=1)
    return f"/frameworks/{framework.code}/{framework.version}/download.json"


# The admin import page (admin:frameworks_framework_import) is under the admin namespace,
# which the matrix leaves to Django's admin permissions; frameworks/tests/test_admin.py covers it.
ROWS = [
    Row("framework-list", lambda w: "/frameworks/", signed_in(200)),
    Row("framework-detail", lambda w: "/frameworks/nope/1.0/", signed_in(404)),
    Row("framework-download", _small_framework, signed_in(200)),
    Row("framework-download", lambda w: "/frameworks/nope/1.0/download.csv", signed_in(404)),
    Row("api-framework-list", lambda w: "/api/v1/frameworks/", same(200, anonymous=401)),
    Row("api-framework-detail", lambda w: "/api/v1/frameworks/nope/1.0/", same(404, anonymous=401)),
]

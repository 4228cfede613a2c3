from tests.authz import Row, same, signed_in


def _small_framework(w) -> str:
    """A stored framework to download (frameworks are reference data: every signed-in person
    may read them)."""
    from frameworks.tests.factories import framework_tree

    framework = framework_tree(domains=1, items=1)
    return f"/frameworks/{framework.code}/{framework.version}/download.json"


def _framework(public: bool):
    from frameworks.tests.factories import framework_tree

    return framework_tree(domains=1, items=1, public=public)


def _case(kind: str, public: bool):
    """A CASE API path to an object of a public or a private framework version."""

    def build(w) -> str:
        from frameworks import identifiers

        framework = _framework(public)
        item = framework.competencies.get(parent__isnull=False)
        identifier = {
            "CFDocuments": framework.uuid,
            "CFPackages": framework.uuid,
            "CFItems": item.uuid,
            "CFAssociations": item.child_of_uuid,
            "CFRubrics": identifiers.rubric_uuid(framework.uuid),
        }[kind]
        return f"/ims/case/v1p0/{kind}/{identifier}"

    return build


def _export(w) -> str:
    framework = _framework(False)
    return f"/api/v1/frameworks/{framework.code}/{framework.version}/export/case/"


# Public versions: anyone. Private ones: anyone signed in or with a token; without credentials
# 401, as for an identifier that does not exist, so nothing tells a private version is there.
_PUBLIC = same(200)
_PRIVATE = same(200, anonymous=401)
_CASE_ROWS = [
    Row(
        f"case-{name}",
        _case(kind, public),
        _PUBLIC if public else _PRIVATE,
        note="public framework" if public else "framework not public",
    )
    for name, kind in (
        ("document", "CFDocuments"),
        ("package", "CFPackages"),
        ("item", "CFItems"),
        ("association", "CFAssociations"),
        ("rubric", "CFRubrics"),
    )
    for public in (True, False)
]

# The admin import page (admin:frameworks_framework_import) is under the admin namespace,
# which the matrix leaves to Django's admin permissions; frameworks/tests/test_admin.py covers it.
ROWS = [
    Row("framework-list", lambda w: "/frameworks/", signed_in(200)),
    Row("framework-detail", lambda w: "/frameworks/nope/1.0/", signed_in(404)),
    Row("framework-download", _small_framework, signed_in(200)),
    Row("framework-download", lambda w: "/frameworks/nope/1.0/download.csv", signed_in(404)),
    Row("api-framework-list", lambda w: "/api/v1/frameworks/", same(200, anonymous=401)),
    Row("api-framework-detail", lambda w: "/api/v1/frameworks/nope/1.0/", same(404, anonymous=401)),
    Row("api-framework-export", _export, same(200, anonymous=401)),
    Row(
        "api-framework-import",
        lambda w: "/api/v1/frameworks/import/",
        same(403, anonymous=401, admin=400),
        method="POST",
        data=lambda w: {},
        note="administrators only; the admin's empty upload is a 400",
    ),
    Row(
        "api-framework-publish",
        lambda w: "/api/v1/frameworks/nope/1.0/public/",
        same(403, anonymous=401, admin=404),
        method="POST",
        data=lambda w: {"public": True},
        content_type="application/json",
    ),
    Row("api-framework-links", lambda w: "/api/v1/frameworks/links/", same(200, anonymous=401)),
    Row(
        "api-framework-links",
        lambda w: "/api/v1/frameworks/links/",
        same(403, anonymous=401, admin=400),
        method="POST",
        data=lambda w: {},
        content_type="application/json",
    ),
    Row(
        "api-framework-link-detail",
        lambda w: "/api/v1/frameworks/links/999999/",
        same(403, anonymous=401, admin=404),
        method="DELETE",
    ),
    Row("case-documents", lambda w: "/ims/case/v1p0/CFDocuments", same(200)),
    *_CASE_ROWS,
]

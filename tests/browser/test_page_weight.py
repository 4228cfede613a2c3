"""What pages weigh on the wire, served as in production (docs/accessibility.md, "Page weight").

Production serving, in this process: `collectstatic` into a temporary STATIC_ROOT with the
production storage (hashed names, a gzip and a Brotli copy of each file), then a second live
server whose static files go through WhiteNoise from there (pytest-django's own live server
answers /static/ itself, uncompressed, from the source folders). The browser asks for Brotli,
as it does over TLS. A fresh context per page: nothing cached, so each number is a first load.

Budgets (issue 23): a page without a chart under 300 KB, a page's first chart load included
under 600 KB. Sizes are the Resource Timing API's `transferSize` (headers and compressed body)
of the document and of everything it loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from django.test.testcases import LiveServerThread
from django.utils import timezone
from playwright.sync_api import Browser

from core.staticfiles import PLOTLY
from demo.seed import seed_demo
from demo.world import demo_logins
from programs.models import Program
from tests.browser.conftest import DESKTOP, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGE_BUDGET = 300_000
FIRST_CHART_BUDGET = 600_000

WEIGH = """
async () => {
  const navigation = performance.getEntriesByType("navigation")[0];
  const files = performance.getEntriesByType("resource").map((entry) => ({
    url: entry.name, wire: entry.transferSize, body: entry.decodedBodySize,
  }));
  return {document: navigation.transferSize, files: files,
          charts: document.querySelectorAll(".js-plotly-plot .main-svg").length,
          chartSlots: document.querySelectorAll("[data-plotly], [data-figure]").length};
}
"""


class _WhiteNoiseServes:
    """In place of the live server's static files handler: leave /static/ to WhiteNoise."""

    def __init__(self, application: Any) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.application(environ, start_response)


@contextmanager
def _production_server(root: Path) -> Iterator[str]:
    """A live server with production static files, for as long as the block lasts."""
    production = {
        "STATIC_ROOT": root,
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "core.staticstorage.CompressedManifestStaticFiles"},
        },
        "WHITENOISE_USE_FINDERS": False,
        "WHITENOISE_AUTOREFRESH": False,
        "ALLOWED_HOSTS": ["localhost"],
    }
    with override_settings(**production):
        call_command("collectstatic", interactive=False, verbosity=0)
        thread = LiveServerThread("localhost", static_handler=_WhiteNoiseServes)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://localhost:{thread.port}"
        finally:
            thread.terminate()


def _weigh(browser: Browser, base_url: str, user: Any, path: str) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(
        base_url=base_url,
        viewport=DESKTOP,
        extra_http_headers={"Accept-Encoding": "br, gzip"},
    )
    violations = watch_csp(context)
    try:
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
        page = context.new_page()
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        weighed: dict[str, Any] = page.evaluate(WEIGH)
    finally:
        context.close()
    assert not violations, violations  # the charts draw under the policy, no unsafe-eval
    weighed["total"] = weighed["document"] + sum(file["wire"] for file in weighed["files"])
    weighed["plotly"] = any("/vendor/plotly" in file["url"] for file in weighed["files"])
    return weighed


def _kb(n: int) -> str:
    return f"{n / 1000:.0f} KB"


def test_pages_stay_light_on_the_wire_and_load_charts_only_where_they_draw_them(
    browser: Browser, live_server: Any, tmp_path: Path
):
    # The demo as `make run` seeds it (smaller), on the shipped frameworks: real text sizes.
    call_command("load_frameworks", stdout=StringIO())
    seed_demo(learners=4)
    logins = {login.role: login.email for login in demo_logins()}
    users = get_user_model().objects
    learner = users.get(email=logins["learner"])
    director = users.get(email=logins["program director"])
    program = Program.objects.get(name__icontains="Internal Medicine")
    period = (
        program.review_periods.filter(start_date__lte=timezone.localdate())
        .order_by("-start_date")
        .first()
    )
    assert period is not None
    packet = f"/programs/{program.pk}/periods/{period.pk}/learners/{learner.pk}/"
    pages = [
        (learner, "/progress/"),
        (learner, "/"),
        (learner, "/assessments/check-in/"),
        (director, f"/programs/{program.pk}/distributions/"),
        (director, f"/programs/{program.pk}/heatmap/"),
        (director, packet),
    ]
    with _production_server(tmp_path / "static") as production:
        for user, path in pages:
            weighed = _weigh(browser, production, user, path)
            print(f"{path}: {_kb(weighed['total'])}, charts drawn: {weighed['charts']}")
            # Plotly is fetched only by a page that draws a chart, and every chart is drawn.
            assert weighed["plotly"] == bool(weighed["chartSlots"]), (path, weighed["files"])
            assert weighed["charts"] >= weighed["chartSlots"], path
            budget = FIRST_CHART_BUDGET if weighed["plotly"] else PAGE_BUDGET
            assert weighed["total"] < budget, (path, _kb(weighed["total"]), weighed["files"])
    # `make run` (DEBUG, files found in static/ per request, as pytest-django's live server
    # serves them) sends the same cartesian bundle, uncompressed: 1.5 MB, not the full 4.8 MB.
    weighed = _weigh(browser, live_server.url, learner, "/progress/")
    plotly = [f for f in weighed["files"] if "plotly" in f["url"]]
    assert [f["url"].rsplit("/", 1)[-1] for f in plotly] == [PLOTLY.rsplit("/", 1)[-1]]
    assert plotly[0]["body"] < 1_600_000
    print(f"/progress/ as `make run` serves it: {_kb(weighed['total'])}")

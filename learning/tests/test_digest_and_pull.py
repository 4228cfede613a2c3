"""The evening-before digest (never twice) and pulling appointments from a FHIR server."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from learning import tasks
from learning.models import FhirPull, FhirSource, PractitionerLink, UpcomingVisit, VisitDigest
from learning.services import PullError, visit_digests_send, visits_pull
from learning.tests.factories import LearningResourceFactory, UpcomingVisitFactory, fhir_json
from notifications.models import Notification

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + dt.timedelta(days=1)


# --- Digest ----------------------------------------------------------------------------------------


def test_the_digest_goes_out_once_however_often_the_task_runs(
    learner, django_capture_on_commit_callbacks
):
    LearningResourceFactory(title="Hypertension refresher", codes=["icd10cm:I10"])
    UpcomingVisitFactory(
        learner=learner,
        visit_date=TOMORROW,
        reasons=[
            {
                "system": "http://hl7.org/fhir/sid/icd-10-cm",
                "code": "I10",
                "display": "Essential hypertension",
            }
        ],
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.visit_digests_send.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.visit_digests_send.delay().get() == 0
        assert visit_digests_send(day=TOMORROW) == 0

    assert VisitDigest.objects.get(learner=learner).item_count == 1
    notification = Notification.objects.get(recipient=learner, kind="learning")
    assert notification.title.startswith("Before your clinic on ")
    assert notification.url == "/learning/upcoming/"
    assert len(mail.outbox) == 1
    assert "Hypertension refresher" in mail.outbox[0].body
    assert "matches ICD-10-CM I10 exactly" in mail.outbox[0].body


def test_no_digest_when_nothing_matches_or_the_visit_is_not_tomorrow(learner, other_learner):
    LearningResourceFactory(codes=["icd10cm:I10"])
    UpcomingVisitFactory(
        learner=learner,
        visit_date=TOMORROW,
        reasons=[{"system": "http://snomed.info/sct", "code": "22298006", "display": ""}],
    )
    UpcomingVisitFactory(
        learner=other_learner,
        visit_date=TOMORROW + dt.timedelta(days=1),
        reasons=[{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10", "display": ""}],
    )

    assert visit_digests_send() == 0
    assert not VisitDigest.objects.exists()


# --- Pull from a FHIR server ---------------------------------------------------------------------


class _Stub(ThreadingHTTPServer):
    pages: dict[str, tuple[int, bytes]]
    seen: list[tuple[str, str | None]]


class _Handler(BaseHTTPRequestHandler):
    server: _Stub

    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        route = urlsplit(self.path).path
        status, body = self.server.pages.get(route, (404, b'{"resourceType": "OperationOutcome"}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fhir_server():
    server = _Stub(("127.0.0.1", 0), _Handler)
    server.pages, server.seen = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}/fhir"
    server.shutdown()
    server.server_close()


def _pages(base):
    """Two searchset pages: the first links to the second, whose Condition the first needs."""
    appointment = fhir_json("appointment.json")
    second = fhir_json("appointment.json") | {"id": "appt-2002", "reasonCode": None}
    del second["reasonCode"]
    second["reasonReference"] = [{"reference": "Condition/cond-51"}]
    page1 = {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": [
            {"relation": "self", "url": f"{base}/Appointment"},
            {"relation": "next", "url": f"{base}/page2"},
        ],
        "entry": [
            {"fullUrl": f"{base}/Appointment/appt-2001", "resource": appointment},
            {"fullUrl": f"{base}/Appointment/appt-2002", "resource": second},
        ],
    }
    page2 = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"fullUrl": f"{base}/Encounter/enc-3107", "resource": fhir_json("encounter.json")},
            {
                "fullUrl": f"{base}/Condition/cond-51",
                "resource": fhir_json("condition.json"),
                "search": {"mode": "include"},
            },
            {
                "fullUrl": f"{base}/Patient/pat-9",
                "resource": fhir_json("patient.json"),
                "search": {"mode": "include"},
            },
        ],
    }
    return {
        "/fhir/Appointment": (200, json.dumps(page1).encode()),
        "/fhir/page2": (200, json.dumps(page2).encode()),
    }


@pytest.fixture
def link(learner, fhir_server):
    _server, base = fhir_server
    source = FhirSource.objects.create(
        name="Clinic EHR",
        institution=learner.enrollments.get().program.institution,
        base_url=base,
        token="tok-123",
    )
    return PractitionerLink.objects.create(
        learner=learner, source=source, practitioner_id="pr-learner"
    )


def test_a_pull_follows_next_links_and_keeps_only_my_upcoming_visits(link, fhir_server, learner):
    server, base = fhir_server
    server.pages = _pages(base)

    report = visits_pull(link=link)

    assert report.kept == 3
    assert set(
        UpcomingVisit.objects.filter(learner=learner).values_list("resource_id", flat=True)
    ) == {"appt-2001", "appt-2002", "enc-3107"}
    assert UpcomingVisit.objects.get(resource_id="appt-2002").reasons[0]["code"] == "38341003"
    first_path, auth = server.seen[0]
    query = parse_qs(urlsplit(first_path).query)
    assert query["practitioner"] == ["pr-learner"]
    assert query["date"] == [f"ge{timezone.localdate().isoformat()}"]
    assert query["_include"] == ["Appointment:reason-reference"]
    assert auth == "Bearer tok-123"
    assert [urlsplit(p).path for p, _ in server.seen] == ["/fhir/Appointment", "/fhir/page2"]
    link.source.refresh_from_db()
    assert link.source.last_pulled_at is not None and link.source.last_error == ""


def test_pulling_twice_creates_no_duplicates(link, fhir_server, learner):
    server, base = fhir_server
    server.pages = _pages(base)

    visits_pull(link=link)
    report = visits_pull(link=link)

    assert report.counts["unchanged"] == 3
    assert UpcomingVisit.objects.filter(learner=learner).count() == 3


def test_a_next_link_to_another_server_is_not_followed(link, fhir_server, learner):
    server, base = fhir_server
    pages = _pages(base)
    page1 = json.loads(pages["/fhir/Appointment"][1])
    page1["link"][1]["url"] = "http://169.254.169.254/latest/meta-data"
    server.pages = {"/fhir/Appointment": (200, json.dumps(page1).encode())}

    with pytest.raises(PullError, match="another server"):
        visits_pull(link=link)

    assert not UpcomingVisit.objects.exists()
    link.source.refresh_from_db()
    assert "another server" in link.source.last_error
    assert len(server.seen) == 1


def test_a_server_error_is_recorded_on_the_source(link, fhir_server):
    server, _base = fhir_server
    server.pages = {"/fhir/Appointment": (500, b"oops")}

    with pytest.raises(PullError, match="answered 500"):
        visits_pull(link=link)

    link.source.refresh_from_db()
    assert link.source.last_error.startswith("The FHIR server answered 500")


def test_the_periodic_task_pulls_for_every_linked_learner(
    link, fhir_server, learner, django_capture_on_commit_callbacks
):
    server, base = fhir_server
    server.pages = _pages(base)
    FhirSource.objects.create(name="Off", learner=learner, base_url=base, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.fhir_sources_pull.delay().get() == 1
    assert UpcomingVisit.objects.filter(learner=learner, source=link.source).count() == 3
    pull = FhirPull.objects.get()
    assert (pull.link, pull.status, pull.kept) == (link, FhirPull.Status.DONE, 3)
    # The pull is finished: its message again changes nothing.
    assert tasks.fhir_pull.delay(pull.pk).get() == 0
